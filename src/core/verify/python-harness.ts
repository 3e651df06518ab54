/**
 * The Python side of the Python worker, shared by the Node and browser workers. Loaded once per worker into its own
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
const VERIFY_HARNESS = String.raw`
import sys, io, ast, builtins, traceback

_BLOCKED = ('js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http')

class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in _BLOCKED:
            raise ImportError('module ' + name + ' is not available in the verifier')
        return None

for _name in list(sys.modules):
    if _name.split('.')[0] in _BLOCKED:
        sys.modules[_name] = None
sys.meta_path.insert(0, _Blocker())

class _Capped(io.TextIOBase):
    def __init__(self, cap):
        self.parts = []
        self.size = 0
        self.cap = cap
        self.truncated = False
    def writable(self):
        return True
    def write(self, s):
        s = str(s)
        if self.truncated:
            return len(s)
        room = self.cap - self.size
        if len(s) > room:
            s = s[:max(0, room)]
            self.truncated = True
        self.parts.append(s)
        self.size += len(s)
        return len(s)
    def value(self):
        return ''.join(self.parts)

_saved_builtins = dict(builtins.__dict__)
_saved_streams = (sys.stdin, sys.stdout, sys.stderr)

def _describe(e):
    return (type(e).__name__ + ': ' + str(e))[:2000]

def _heap():
    return 0

ALLOWED_IMPORTS = frozenset(('math', 'random', 'itertools', 'functools', 'collections', 'string', 're', 'heapq',
    'bisect', 'operator', 'statistics', 'fractions', 'decimal', 'typing', 'dataclasses', 'copy', 'sys', 'time',
    'datetime', 'array', 'enum', 'textwrap', 'io'))
_DENIED_NAMES = frozenset(('eval', 'exec', 'compile', 'getattr', 'setattr', 'delattr', 'globals', 'vars', 'locals',
    '__import__', 'open', 'breakpoint', 'memoryview', 'help', 'exit', 'quit'))
_DENIED_ATTRS = frozenset(('modules', 'meta_path', 'path_hooks', 'path_importer_cache', '_getframe', 'exc_info',
    'exception', 'settrace', 'setprofile', 'gettrace', 'getprofile', 'last_traceback', 'last_value', 'last_exc',
    'audit', 'addaudithook', 'setrecursionlimit', 'setswitchinterval', 'excepthook', 'displayhook', 'builtin_module_names'))
_FRAME_PREFIXES = ('f_', 'gi_', 'cr_', 'ag_', 'tb_', 'co_')
_OK_DUNDER_NAMES = frozenset(('__name__',))
_OK_DUNDER_ATTRS = frozenset(('__init__', '__name__'))
_OK_DUNDER_DEFS = frozenset(('__init__', '__repr__', '__str__'))
_parse = ast.parse
_walk = ast.walk

def _dunder(n):
    return len(n) > 4 and n.startswith('__') and n.endswith('__')

def _policy(tree, check_imports=True):
    """The first reason this syntax tree may not run, or None. Without check_imports, imports are left to the
    import hook the code runs under (a reward function: a disallowed import is an ImportError when it runs)."""
    imported = set()
    for node in _walk(tree):
        if isinstance(node, ast.Import) and not check_imports:
            for a in node.names:
                imported.add(a.asname or a.name.split('.')[0])
        elif isinstance(node, ast.ImportFrom) and not check_imports:
            pass
        elif isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split('.')[0]
                if top not in ALLOWED_IMPORTS:
                    return 'ImportError: import of ' + a.name + ' is not allowed in the verifier'
                imported.add(a.asname or top)
        elif isinstance(node, ast.ImportFrom):
            top = (node.module or '').split('.')[0]
            if node.level or top not in ALLOWED_IMPORTS:
                return 'ImportError: import from ' + str(node.module) + ' is not allowed in the verifier'
            for a in node.names:
                if a.name == '*' or _dunder(a.name) or a.name in _DENIED_ATTRS:
                    return 'ImportError: from ' + top + ' import ' + a.name + ' is not allowed in the verifier'
        elif isinstance(node, ast.Name):
            if node.id in _DENIED_NAMES or (_dunder(node.id) and node.id not in _OK_DUNDER_NAMES):
                return 'PolicyError: ' + node.id + ' is not allowed in the verifier'
        elif isinstance(node, ast.Attribute):
            a = node.attr
            if a in _DENIED_ATTRS or a.startswith(_FRAME_PREFIXES) or (_dunder(a) and a not in _OK_DUNDER_ATTRS):
                return 'PolicyError: attribute .' + a + ' is not allowed in the verifier'
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _dunder(node.name) and node.name not in _OK_DUNDER_DEFS:
                return 'PolicyError: defining ' + node.name + ' is not allowed in the verifier'
    for node in _walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for t in targets:
            for sub in _walk(t):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id in imported:
                    return 'PolicyError: changing module ' + sub.value.id + ' is not allowed in the verifier'
    return None

_StringIO = io.StringIO
_format_exception = traceback.format_exception
_compile = compile
_exec = exec

def run(source, test_sources, stdin, output_cap):
    test_sources = list(test_sources)
    out = _Capped(output_cap)
    err = _Capped(output_cap)
    reply = {'syntaxError': None, 'crashed': None, 'testsTotal': len(test_sources), 'testsPassed': 0,
             'firstFailure': None, 'policy': None}
    try:
        try:
            tree = _parse(source, '<sample>', 'exec')
            code = _compile(tree, '<sample>', 'exec')
        except BaseException as e:
            reply['syntaxError'] = _describe(e)
            code = None
        if code is not None:
            why = _policy(tree)
            if why is not None:
                reply['policy'] = why
                reply['crashed'] = why
                code = None
        tests = []
        if code is not None:
            for t in test_sources:
                try:
                    tests.append((t, _compile(t, '<test>', 'exec')))
                except BaseException as e:
                    tests.append((t, None))
        if code is not None:
            ns = {'__name__': '__main__', '__builtins__': builtins}
            sys.stdin = _StringIO(stdin)
            sys.stdout = out
            sys.stderr = err
            try:
                _exec(code, ns)
            except SystemExit as e:
                if e.code not in (None, 0):
                    reply['crashed'] = 'SystemExit: ' + str(e.code)
            except BaseException as e:
                reply['crashed'] = _describe(e)
                try:
                    tb = _format_exception(e)
                    err.write(''.join(tb[-3:]))
                except BaseException:
                    pass
            if reply['crashed'] is None:
                for (src, t) in tests:
                    if t is None:
                        if reply['firstFailure'] is None:
                            reply['firstFailure'] = src + ' -> SyntaxError'
                        continue
                    try:
                        _exec(t, ns)
                        reply['testsPassed'] += 1
                    except BaseException as e:
                        if reply['firstFailure'] is None:
                            reply['firstFailure'] = src + ' -> ' + _describe(e)
    finally:
        sys.stdin, sys.stdout, sys.stderr = _saved_streams
        builtins.__dict__.clear()
        builtins.__dict__.update(_saved_builtins)
    reply['stdout'] = out.value()
    reply['stderr'] = err.value()
    reply['stdoutTruncated'] = out.truncated
    reply['stderrTruncated'] = err.truncated
    return reply
`;

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
const PYTHON_REWARD_HARNESS = String.raw`
import json as _json
import math as _math
_REWARD_IMPORTS = ALLOWED_IMPORTS | frozenset(('json',))
_real_import = builtins.__import__
_RESERVED = ('prompt', 'completion', 'prompts', 'completions')

def _reward_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level or str(name).split('.')[0] not in _REWARD_IMPORTS:
        raise ImportError('import of ' + str(name)[:60] + ' is not allowed in a reward function (allowed: ' + ', '.join(sorted(_REWARD_IMPORTS)) + ')')
    return _real_import(name, globals, locals, fromlist, level)

def _reward_def(tree):
    fn = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == 'reward':
            fn = node
    if fn is None:
        return None, None, 'the code defines no top-level function reward(prompts, completions, **kwargs) (or reward(prompt, completion, **row))'
    if fn.args.posonlyargs:
        return None, None, 'reward must not have positional-only parameters: it is called with keywords, as TRL calls it'
    names = [a.arg for a in fn.args.args] + [a.arg for a in fn.args.kwonlyargs]
    accepts = None if fn.args.kwarg is not None else frozenset(names)
    if 'completions' in names:
        return 'batch', accepts, None
    if 'completion' in names:
        return 'per-sample', accepts, None
    return None, None, 'reward must take completions (reward(prompts, completions, **kwargs), as in TRL) or completion (reward(prompt, completion, **row))'

def _scalar(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        f = float(v)
        return f if _math.isfinite(f) else str(f)
    return str(v)[:200]

def _checked(v):
    breakdown = {}
    if isinstance(v, dict):
        if 'reward' not in v:
            raise ValueError("a dict the reward returns needs a 'reward' key (got keys " + ', '.join(str(k)[:20] for k in list(v)[:6]) + ')')
        for k in list(v)[:17]:
            if k != 'reward':
                breakdown[str(k)[:40]] = _scalar(v[k])
        v = v['reward']
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError('the reward is not a number (got ' + type(v).__name__ + ')')
    r = float(v)
    if not _math.isfinite(r):
        raise ValueError('the reward is not finite (got ' + repr(r) + ')')
    if r < 0 or r > 1:
        raise ValueError('the reward is outside [0, 1] (got ' + repr(r)[:40] + ')')
    return {'reward': r, 'breakdown': breakdown}

def _tb(e):
    try:
        lines = _format_exception(e)
        return ''.join(l for l in lines if '<reward>' in l or not l.startswith('  File')).strip()[-1500:]
    except BaseException:
        return None

def _err(e):
    return {'error': _describe(e)[:500], 'traceback': _tb(e)}

def _call_args(accepts, base, extra):
    args = dict(base)
    for k, v in extra.items():
        if k not in _RESERVED:
            args[k] = v
    if accepts is not None:
        args = {k: v for k, v in args.items() if k in accepts}
    return args

def reward_run(source, mode, payload, output_cap):
    out = _Capped(output_cap)
    err = _Capped(output_cap)
    result = {'style': None, 'error': None, 'traceback': None, 'items': []}
    reply = {'syntaxError': None, 'crashed': None, 'testsTotal': 0, 'testsPassed': 0, 'firstFailure': None, 'policy': None}
    try:
        try:
            tree = _parse(source, '<reward>', 'exec')
            code = _compile(tree, '<reward>', 'exec')
        except BaseException as e:
            result['error'] = 'the reward code does not compile: ' + _describe(e)
            code = None
        if code is not None:
            why = _policy(tree, False)
            if why is not None:
                result['error'] = why
                code = None
        if code is not None:
            style, accepts, why = _reward_def(tree)
            result['style'] = style
            if why is not None:
                result['error'] = why
                code = None
        if code is not None and mode == 'score':
            data = _json.loads(payload)
            prompts, completions, rows = data['prompts'], data['completions'], data['rows']
            n = len(completions)
            ns = {'__name__': '__reward__', '__builtins__': builtins}
            sys.stdin = _StringIO('')
            sys.stdout = out
            sys.stderr = err
            builtins.__import__ = _reward_import
            try:
                _exec(code, ns)
                fn = ns.get('reward')
                if not callable(fn):
                    raise TypeError('reward is not a function after the module ran')
            except BaseException as e:
                result['error'] = 'the reward module failed to load: ' + _describe(e)
                result['traceback'] = _tb(e)
                fn = None
            if fn is not None and style == 'batch':
                fields = {}
                for row in rows:
                    for k in row:
                        fields.setdefault(k, None)
                kwargs = {k: [row.get(k) for row in rows] for k in fields}
                try:
                    got = fn(**_call_args(accepts, {'prompts': list(prompts), 'completions': list(completions)}, kwargs))
                    got = list(got) if isinstance(got, (list, tuple)) else got
                    if not isinstance(got, list):
                        raise TypeError('reward must return a list of floats, one per completion (got ' + type(got).__name__ + ')')
                    if len(got) != n:
                        raise ValueError('reward returned ' + str(len(got)) + ' values for ' + str(n) + ' completions')
                    for v in got:
                        try:
                            result['items'].append(_checked(v))
                        except BaseException as e:
                            result['items'].append({'error': _describe(e)[:500], 'traceback': None})
                except BaseException as e:
                    result['error'] = _describe(e)[:500]
                    result['traceback'] = _tb(e)
                    result['items'] = []
            elif fn is not None:
                for i in range(n):
                    try:
                        v = fn(**_call_args(accepts, {'prompt': prompts[i], 'completion': completions[i]}, rows[i]))
                        result['items'].append(_checked(v))
                    except BaseException as e:
                        result['items'].append(_err(e))
    except BaseException as e:
        result['error'] = 'the reward harness failed: ' + _describe(e)
        result['items'] = []
    finally:
        sys.stdin, sys.stdout, sys.stderr = _saved_streams
        builtins.__dict__.clear()
        builtins.__dict__.update(_saved_builtins)
    try:
        reply['rewardJson'] = _json.dumps(result, allow_nan=False)
    except BaseException as e:
        reply['rewardJson'] = _json.dumps({'style': None, 'error': 'the reward\'s results could not be sent: ' + _describe(e), 'traceback': None, 'items': []})
    reply['stdout'] = out.value()
    reply['stderr'] = err.value()
    reply['stdoutTruncated'] = out.truncated
    reply['stderrTruncated'] = err.truncated
    return reply
`;

/** The whole harness a Python worker loads: the verifier's `run` and the reward functions' `reward_run`. */
export const PYTHON_HARNESS: string = VERIFY_HARNESS + PYTHON_REWARD_HARNESS;
