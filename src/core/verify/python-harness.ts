/**
 * The Python side of the Python worker, shared by the Node and browser workers. Loaded once per worker into its own
 * namespace; defines `run(request_json) -> reply_json`. Before any sample runs it cuts Python off from JavaScript:
 * `js`, `pyodide_js`, `pyodide` (with `pyodide.code.run_js`), `_pyodide`, `_pyodide_core` and `micropip` are
 * removed from `sys.modules` and blocked from import. Each sample gets a fresh module namespace, stdin from the
 * request, stdout/stderr kept up to a cap, and `builtins` restored afterwards.
 */
export const PYTHON_HARNESS = String.raw`
import sys, io, json, builtins, traceback

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

def run(request_json):
    req = json.loads(request_json)
    out = _Capped(req['outputCap'])
    err = _Capped(req['outputCap'])
    reply = {'syntaxError': None, 'crashed': None, 'testsTotal': len(req['tests']), 'testsPassed': 0,
             'firstFailure': None}
    try:
        try:
            code = compile(req['code'], '<sample>', 'exec')
        except BaseException as e:
            reply['syntaxError'] = _describe(e)
            code = None
        tests = []
        if code is not None:
            for t in req['tests']:
                try:
                    tests.append((t, compile(t, '<test>', 'exec')))
                except BaseException as e:
                    tests.append((t, None))
        if code is not None:
            ns = {'__name__': '__main__', '__builtins__': builtins}
            sys.stdin = io.StringIO(req['stdin'])
            sys.stdout = out
            sys.stderr = err
            try:
                exec(code, ns)
            except SystemExit as e:
                if e.code not in (None, 0):
                    reply['crashed'] = 'SystemExit: ' + str(e.code)
            except BaseException as e:
                reply['crashed'] = _describe(e)
                try:
                    tb = traceback.format_exception(e)
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
                        exec(t, ns)
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
    return json.dumps(reply)
`;
