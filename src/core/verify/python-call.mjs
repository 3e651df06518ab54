// One sample through the Python harness's `run` (python-harness.ts) in a Pyodide worker, shared by the Node worker
// (src/node/verify/python.worker.mjs, plain JavaScript: worker threads do not load TypeScript) and the browser worker
// (workers/verify/python.worker.ts). The reply dict is converted in JavaScript, and every proxy is destroyed.

// Pyodide turns None into undefined; the reply protocol uses null
const noneAsNull = (entries) => Object.fromEntries([...entries].map(([k, v]) => [k, v === undefined ? null : v]));

export function harnessReply(pyodide, run, req, rewardRun) {
  let result;
  if (req.reward) {
    // a custom task's reward function over a batch (harness reward_run); plain strings cross, no proxies
    if (!rewardRun) throw new Error('this worker has no reward_run');
    result = rewardRun(req.code, req.reward.mode, req.reward.payload, req.outputCap);
  } else {
    const tests = pyodide.toPy(req.tests);
    try {
      result = run(req.code, tests, req.stdin, req.outputCap);
    } finally {
      tests.destroy();
    }
  }
  let reply;
  try {
    reply = result.toJs({ dict_converter: noneAsNull });
  } finally {
    result.destroy();
  }
  reply.id = req.id;
  reply.heapBytes = pyodide._module?.HEAP8?.buffer?.byteLength ?? 0;
  return reply;
}
