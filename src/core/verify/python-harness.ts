/**
 * The Python side of the Python worker, shared by the Node and browser workers: verify-harness.py and
 * reward-harness.py, imported as text (`?raw`: Vite and vitest read it themselves; the CLI and scripts through
 * bin/raw-hooks.mjs, which bin/raftlab.mjs and bin/run-ts.mjs register). Loaded once per worker into its own
 * namespace; defines `run(code, tests, stdin, output_cap) -> dict` (the worker converts the dict in JavaScript, so no
 * Python function a sample could replace builds the reply).
 *
 * Before any sample runs it cuts Python off from JavaScript: `js`, `pyodide_js`, `pyodide`, `_pyodide`,
 * `_pyodide_core` and `micropip` are removed from `sys.modules` and blocked from import. Every sample is first
 * checked against a policy (its syntax tree, before it runs) so that it cannot tamper with the harness or with later
 * samples in the same interpreter:
 * - imports only from an allowlist of pure-computation modules (`ALLOWED_IMPORTS`);
 * - no dunder names or attributes (`__class__`, `__globals__`, `__builtins__`, ...) other than `__name__` and
 *   `__init__`, no definitions of dunder methods other than `__init__`/`__repr__`/`__str__` (an `__eq__` that is
 *   always True would pass every assert), no frame/code/traceback attributes (`f_back`, `gi_frame`, `tb_frame`, ...),
 *   no `sys.modules`/`sys.meta_path`/`sys._getframe`/`sys.exc_info` and the like;
 * - no `eval`, `exec`, `compile`, `getattr`/`setattr`/`delattr`, `globals`, `vars`, `__import__`, `open`,
 *   `breakpoint`;
 * - no assignment to (or deletion of) an attribute of an imported module (`math.floor = ...`).
 * A sample that breaks the policy does not run: it scores as a crash (0.3) with the reason in the breakdown.
 * This is defence in depth within one interpreter, aimed at what a small model might write by accident or by
 * reward-hacking drift; it is not a proof against a determined adversary (that needs one interpreter per sample).
 * Each sample gets a fresh module namespace, stdin from the request, stdout/stderr kept up to a cap, and `builtins`
 * restored afterwards.
 */
import VERIFY_HARNESS from './verify-harness.py?raw';

/**
 * Reward functions of custom tasks (TRL's signature), run by the same harness: `reward_run(source, mode, payload,
 * output_cap)` returns the reply dict with `rewardJson`, a JSON text of
 * `{style, error, traceback, items: [{reward, breakdown} | {error, traceback}]}`.
 * - `mode` 'check': compile, apply the policy (imports excepted) and find a top-level `def reward` taking
 *   `completions` (batch: `reward(prompts, completions, **kwargs)`, kwargs the rows' other fields as lists) or
 *   `completion` (per sample: `reward(prompt, completion, **row)`). Nothing runs.
 * - `mode` 'score': run the module under an import hook that allows only `REWARD_IMPORTS` (so `import js` is an
 *   ImportError when it runs), call `reward`, and check every result: a float in [0, 1] or a dict with `reward` and
 *   scalar breakdown fields. An exception (per sample in the per-sample form, else for the batch), a non-number, NaN
 *   or a value outside [0, 1] is an error of that sample, with its message and traceback.
 * The time limit is the pool's (a batch that runs too long loses its worker).
 */
import PYTHON_REWARD_HARNESS from './reward-harness.py?raw';

/** The whole harness a Python worker loads: the verifier's `run` and the reward functions' `reward_run`. */
export const PYTHON_HARNESS: string = VERIFY_HARNESS + PYTHON_REWARD_HARNESS;
