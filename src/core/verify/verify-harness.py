
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
