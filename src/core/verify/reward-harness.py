
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
