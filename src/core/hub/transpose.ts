/** (rows, cols) row-major -> (cols, rows): the Hub's nn.Linear (out, in) and the lab's (in, out), PEFT's A and B. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[j * rows + r] = values[r * cols + j]!;
  return out;
}
