//! `querysight._native.CallSites`: the stack walk that finds where a query came from, once per
//! query on the run-time path.
//!
//! On CPython 3.11 the walk reads the interpreter's frames in place (`crate::stack`), once
//! their layout was checked against the public API; elsewhere it goes through the public
//! API (`PyFrame_GetBack`), which makes a frame object for each outer frame it passes. Either
//! way, one hash look-up by code-object address per frame replaces a Python loop with
//! attribute look-ups and two calls per frame.
//! Which frames are which is decided in Python, once per code object, by the `classify`
//! callable (`querysight.callsite`): application code, a `QuerySet` entry point, the SQL
//! compiler, a values iterable.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyFrame, PyFrameMethods, PyString};
use rustc_hash::FxHashMap;

use crate::stack::{frame_lasti, Layout, RawFrame};

/// A `QuerySet` entry point the application called (`count`, `first`, `__iter__`...).
const API: u8 = 1;
/// The ORM built the SQL (the compiler is on the stack), else a raw cursor ran it.
const ORM: u8 = 2;
/// Rows come back as dicts or tuples (`values`, `values_list`).
const VALUES: u8 = 4;
/// An application frame: the call site.
const APP: u8 = 8;
/// The start of a thread hop from async code (asgiref's `SyncToAsync.thread_handler`): the
/// frames above it belong to the thread, not to the code that awaited; the walk stops.
const BOUNDARY: u8 = 16;
/// Application code of the test harness (a test module, a `conftest.py`): with [`APP`], it
/// marks where the code under test was entered from (see [`Walk::entry`]).
const TEST: u8 = 32;

/// `(call site, api, values, orm, context, entry, callee)`: what `locate` returns.
type Located<'py> = (
    Bound<'py, PyString>,
    Option<Py<PyString>>,
    Option<Py<PyString>>,
    bool,
    u64,
    Option<Py<PyAny>>,
    Option<Callee>,
);

/// `(call, code, inner code, inner code)`: the call of the library function the application
/// frame called (an object that is that call's alone while held: see
/// [`StackFrame::call_token`]), its code object, then the code objects of the functions it
/// called in turn, innermost last (when the callee is a decorator's wrapper, they name the
/// function it wraps). See [`Walk::callee`].
pub(crate) type Callee = (Py<PyAny>, Py<PyAny>, Option<Py<PyAny>>, Option<Py<PyAny>>);

/// One frame of a walk: a frame object (the public API), or an interpreter frame read in
/// place ([`RawFrame`], CPython 3.11).
trait StackFrame: Sized + Clone {
    /// The frame's code object.
    fn code<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny>;
    /// The offset of the current instruction in bytes (`frame.f_lasti`).
    fn lasti(&self) -> i64;
    /// The line being run.
    fn line(&self) -> i64;
    /// The next frame outwards.
    fn outer(&self) -> Option<Self>;
    /// An object that is this call's alone for as long as it is held: a frame object lives as
    /// long as its call, so the same object means the same call.
    fn call_token(&self, py: Python<'_>) -> Py<PyAny>;
}

impl StackFrame for Bound<'_, PyFrame> {
    fn code<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        PyFrameMethods::code(self)
            .into_any()
            .unbind()
            .into_bound(py)
    }

    fn lasti(&self) -> i64 {
        frame_lasti(self)
    }

    fn line(&self) -> i64 {
        i64::from(self.line_number())
    }

    fn outer(&self) -> Option<Self> {
        PyFrameMethods::outer(self)
    }

    fn call_token(&self, _py: Python<'_>) -> Py<PyAny> {
        self.clone().into_any().unbind()
    }
}

impl StackFrame for RawFrame {
    fn code<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        RawFrame::code(self, py)
    }

    fn lasti(&self) -> i64 {
        RawFrame::lasti(self)
    }

    fn line(&self) -> i64 {
        RawFrame::line(self)
    }

    fn outer(&self) -> Option<Self> {
        RawFrame::outer(self)
    }

    fn call_token(&self, py: Python<'_>) -> Py<PyAny> {
        RawFrame::call_token(self, py)
    }
}

/// Frames above the application frame that make up its calling context (see
/// [`Walk::context`]).
const CONTEXT_FRAMES: usize = 12;

/// Code objects remembered at most; past it the cache starts over.
const MAX_CODES: usize = 100_000;

/// What the classifier said of each code object, by address: the bits above and a text (the
/// display path of application code, an entry point's name, a values kind).
#[derive(Default)]
struct Cache {
    /// Bumped whenever the cache is emptied: an address is only known to name the same code
    /// object within one generation (see `AppFrame::code`).
    generation: u64,
    codes: FxHashMap<usize, (u8, Option<Py<PyString>>)>,
    /// `(code object address, line) -> "path:line"` of application frames already seen.
    sites: FxHashMap<(usize, i64), Py<PyString>>,
    /// `(code object address, instruction offset) -> line` of application frames already
    /// seen: a line number is found by scanning the code's line table.
    lines: FxHashMap<(usize, i64), i64>,
    /// Keeps every code object in `codes` alive: its address stays its own while it is a key.
    alive: Vec<Py<PyAny>>,
}

/// Finds the call site of a query: the first application frame, and what the application
/// called on the way (see `locate`).
#[pyclass(module = "querysight._native", frozen)]
pub struct CallSites {
    classify: Py<PyAny>,
    /// Set when the interpreter's frames can be read in place (see `crate::stack`).
    layout: Option<Layout>,
    operation: Py<PyAny>,
    cache: Mutex<Cache>,
    /// `(api, values, orm) -> operation`, from `operation`, in order of first use (an
    /// operation's index is its position): a few dozen combinations at most. `api` and
    /// `values` by the address of the classifier's text (0 for none), which the entry keeps
    /// alive, so an index keeps its meaning for the life of the process (a scope keys its
    /// call sites with it) until `clear()`.
    operations: Mutex<Vec<Operation>>,
}

/// One entry of `CallSites::operations`: the key, the texts that keep its addresses valid,
/// the operation.
struct Operation {
    key: (usize, usize, bool),
    _texts: (Option<Py<PyString>>, Option<Py<PyString>>),
    name: String,
}

/// At most this many `(api, values, orm)` combinations are remembered.
const MAX_OPERATIONS: usize = 1024;

/// What one walk found: the first application frame (its code object's address, line and
/// display path), the outermost `QuerySet` entry point below it, the values kind, whether the
/// SQL compiler was on the stack.
pub(crate) struct Walk {
    pub(crate) app: Option<AppFrame>,
    pub(crate) api: Option<Py<PyString>>,
    pub(crate) values: Option<Py<PyString>>,
    pub(crate) orm: bool,
    /// The calling context of the application frame: a hash of the code object and
    /// instruction offset (the call being made) of each application frame among the
    /// [`CONTEXT_FRAMES`] frames above it, up to a boundary (a run of identical ones,
    /// recursion, counts once); 0 without an application frame. A line run once per row of a
    /// loop has one context; the same helper line reached from two lines of its caller has
    /// two, so two separate calls are never taken for a loop.
    pub(crate) context: u64,
    /// The frame through which test code entered the code under test: the outermost
    /// application frame, at or above the call site, below the first test-harness frame
    /// ([`TEST`]) among the context's frames; `None` when the call site is in test code or no
    /// test frame is that close. A frame object lives as long as its call, so the same object
    /// means the same call (see `Scope`'s activations): a test's loop over cases calls the
    /// code under test anew each time, a loop inside that code does not.
    pub(crate) entry: Option<Py<PyAny>>,
    /// The library frame the application frame called (the walk's last frame before it):
    /// queries from one such frame object came from one call into library code, so a loop
    /// among them is the library's (see `querysight_detect::NPlusOne::one_call`). `None`
    /// without an application frame, or when the application frame is the first one.
    pub(crate) callee: Option<Callee>,
}

/// The application frame of a [`Walk`].
pub(crate) struct AppFrame {
    /// `(cache generation, code object address)`: names one code object for as long as the
    /// walker's cache keeps it alive, which is within that generation; `None` when the code
    /// object is not in the cache (its address names nothing for long).
    pub(crate) code: Option<(u64, usize)>,
    pub(crate) line: i64,
    pub(crate) path: Option<Py<PyString>>,
}

impl AppFrame {
    /// `path:line`.
    pub(crate) fn site(&self, py: Python<'_>) -> String {
        match &self.path {
            Some(path) => format!("{}:{}", path.bind(py).to_string_lossy(), self.line),
            None => format!("<unknown>:{}", self.line),
        }
    }
}

impl CallSites {
    /// What the application called, for a walk of a query that is not a relation load nor in
    /// a template or serializer: its index (`u32::MAX` past the bound), with its name
    /// (`count`, `get`, `raw`, `query`...) when it was just made or is past the bound (else
    /// see [`CallSites::operation_name`]). From the `operation` callable, once per combination.
    pub(crate) fn operation(&self, py: Python<'_>, walk: &Walk) -> PyResult<(u32, Option<String>)> {
        // The texts are the classifier's strings; an entry keeps its own alive, so their
        // addresses identify them.
        let address = |s: &Option<Py<PyString>>| s.as_ref().map_or(0, |s| s.as_ptr() as usize);
        let key = (address(&walk.api), address(&walk.values), walk.orm);
        if let Ok(ops) = self.operations.lock() {
            if let Some(i) = ops.iter().position(|op| op.key == key) {
                return Ok((i as u32, None));
            }
        }
        let text = |s: &Option<Py<PyString>>| {
            s.as_ref()
                .map(|s| s.bind(py).to_string_lossy().into_owned())
        };
        let name: String = self
            .operation
            .bind(py)
            .call1((text(&walk.api), text(&walk.values), walk.orm))?
            .extract()?;
        let mut ops = match self.operations.lock() {
            Ok(ops) => ops,
            Err(_) => return Ok((u32::MAX, Some(name))),
        };
        if ops.len() >= MAX_OPERATIONS {
            return Ok((u32::MAX, Some(name)));
        }
        let keep = |s: &Option<Py<PyString>>| s.as_ref().map(|s| s.clone_ref(py));
        ops.push(Operation {
            key,
            _texts: (keep(&walk.api), keep(&walk.values)),
            name: name.clone(),
        });
        Ok(((ops.len() - 1) as u32, Some(name)))
    }

    /// `path:line` of a walk's application frame (`<unknown>` without one), made once per
    /// code object and line (within one cache generation, which keeps the code objects alive:
    /// an address in `sites` is its own).
    fn site_string<'py>(&self, py: Python<'py>, walk: &Walk) -> Bound<'py, PyString> {
        let Some(app) = &walk.app else {
            return PyString::new(py, "<unknown>");
        };
        let Some((generation, code)) = app.code else {
            return PyString::new(py, &app.site(py));
        };
        let key = (code, app.line);
        if let Ok(cache) = self.cache.lock() {
            if cache.generation == generation {
                if let Some(site) = cache.sites.get(&key) {
                    return site.bind(py).clone();
                }
            }
        }
        let site = PyString::new(py, &app.site(py));
        if let Ok(mut cache) = self.cache.lock() {
            if cache.generation == generation && cache.sites.len() < MAX_CODES {
                cache.sites.insert(key, site.clone().unbind());
            }
        }
        site
    }

    /// The name of operation `index` (see [`CallSites::operation`]).
    pub(crate) fn operation_name(&self, index: u32) -> String {
        self.operations
            .lock()
            .ok()
            .and_then(|ops| ops.get(index as usize).map(|op| op.name.clone()))
            .unwrap_or_else(|| String::from("query"))
    }

    /// One walk from `frame` outwards (see [`Walk`]); an empty one when `frame` is not a
    /// frame object.
    pub(crate) fn walk(&self, py: Python<'_>, frame: Bound<'_, PyAny>) -> PyResult<Walk> {
        let Ok(frame) = frame.cast_into::<PyFrame>() else {
            return self.walk_from(py, None::<RawFrame>);
        };
        if let Some(raw) = self
            .layout
            .and_then(|layout| RawFrame::of_frame(layout, &frame))
        {
            return self.walk_from(py, Some(raw));
        }
        self.walk_from(py, Some(frame))
    }

    fn walk_from<F: StackFrame>(&self, py: Python<'_>, start: Option<F>) -> PyResult<Walk> {
        let mut walk = Walk {
            app: None,
            api: None,
            values: None,
            orm: false,
            context: 0,
            entry: None,
            callee: None,
        };
        // The last three frames visited, by step number modulo 3.
        let mut below: [Option<F>; 3] = [None, None, None];
        let mut step = 0_usize;
        let mut frame = start;
        while let Some(current) = frame {
            let code = current.code(py);
            let (bits, text, generation) = self.info(py, &code)?;
            if bits & APP != 0 {
                let code = generation.map(|g| (g, code.as_ptr() as usize));
                walk.app = Some(AppFrame {
                    code,
                    line: self.line(code, &current),
                    path: text,
                });
                (walk.context, walk.entry) = self.context(py, &current, bits)?;
                let mut take = |back: usize| below[(step + 3 - back) % 3].take();
                walk.callee = take(1).map(|callee| {
                    let inner = |frame: Option<F>| frame.map(|f| f.code(py).unbind());
                    (
                        callee.call_token(py),
                        callee.code(py).unbind(),
                        inner(take(2)),
                        inner(take(3)),
                    )
                });
                return Ok(walk);
            }
            if bits & BOUNDARY != 0 {
                return Ok(walk);
            }
            if bits & API != 0 {
                walk.api = text;
            } else if bits & ORM != 0 {
                walk.orm = true;
            } else if bits & VALUES != 0 {
                walk.values = text;
            }
            frame = current.outer();
            below[step % 3] = Some(current);
            step += 1;
        }
        Ok(walk)
    }

    /// The calling context of the application frame `app` (whose bits are `app_bits`), from
    /// its caller outwards, and the entry frame: see [`Walk::context`] and [`Walk::entry`].
    /// The application frames among the next [`CONTEXT_FRAMES`] frames, by code object
    /// address (the frames on the stack keep theirs alive) and the instruction each is at;
    /// library frames between them are passed over (where a library is inside its own code
    /// says nothing of the application's calls). It ends at a boundary (a thread hop from
    /// async code, querysight's middleware): what lies beyond is not the application's
    /// calling code.
    fn context<F: StackFrame>(
        &self,
        py: Python<'_>,
        app: &F,
        app_bits: u8,
    ) -> PyResult<(u64, Option<Py<PyAny>>)> {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut previous = (0_usize, 0_i64);
        let mut taken = 0;
        // The outermost application frame seen so far that is not test code; `None` once a
        // test frame was found (or when the call site itself is test code).
        let mut candidate = (app_bits & TEST == 0).then(|| app.clone());
        let mut entry = None;
        let mut frame = app.outer();
        while let Some(current) = frame {
            if taken == CONTEXT_FRAMES {
                break;
            }
            taken += 1;
            let code = current.code(py);
            let bits = self.info(py, &code)?.0;
            if bits & BOUNDARY != 0 {
                break;
            }
            if bits & APP != 0 {
                if bits & TEST != 0 {
                    if let Some(found) = candidate.take() {
                        entry = Some(found.call_token(py));
                    }
                } else if candidate.is_some() {
                    candidate = Some(current.clone());
                }
                // The instruction offset, not the line: a line number is found by scanning
                // the code's line table, which costs more than the rest of this loop in a
                // long function.
                let lasti = current.lasti();
                let entry = (code.as_ptr() as usize, lasti);
                if entry != previous {
                    for word in [entry.0 as u64, entry.1 as u64] {
                        hash = (hash ^ word).wrapping_mul(0x0000_0100_0000_01b3);
                        hash ^= hash >> 29;
                    }
                    previous = entry;
                }
            }
            frame = current.outer();
        }
        Ok((hash | 1, entry))
    }

    /// The line `frame` is running, from the cache when `code` (its code object, as
    /// [`AppFrame::code`]) is known to it.
    fn line<F: StackFrame>(&self, code: Option<(u64, usize)>, frame: &F) -> i64 {
        let Some((generation, code)) = code else {
            return frame.line();
        };
        let key = (code, frame.lasti());
        if let Ok(cache) = self.cache.lock() {
            if cache.generation == generation {
                if let Some(line) = cache.lines.get(&key) {
                    return *line;
                }
            }
        }
        let line = frame.line();
        if let Ok(mut cache) = self.cache.lock() {
            if cache.generation == generation && cache.lines.len() < MAX_CODES {
                cache.lines.insert(key, line);
            }
        }
        line
    }

    /// `(bits, text, generation)` of `code`, from the cache or the classifier; the cache
    /// generation in which `code` is kept alive, `None` when it is not cached. The lock is
    /// never held while Python runs (the classifier may let another thread in).
    fn info(
        &self,
        py: Python<'_>,
        code: &Bound<'_, PyAny>,
    ) -> PyResult<(u8, Option<Py<PyString>>, Option<u64>)> {
        let key = code.as_ptr() as usize;
        if let Ok(cache) = self.cache.lock() {
            if let Some((bits, text)) = cache.codes.get(&key) {
                let text = text.as_ref().map(|t| t.clone_ref(py));
                return Ok((*bits, text, Some(cache.generation)));
            }
        }
        let (bits, text): (u8, Option<Py<PyString>>) =
            self.classify.bind(py).call1((code,))?.extract()?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.codes.len() >= MAX_CODES {
                cache.codes.clear();
                cache.sites.clear();
                cache.lines.clear();
                cache.alive.clear();
                cache.generation += 1;
            }
            cache
                .codes
                .insert(key, (bits, text.as_ref().map(|t| t.clone_ref(py))));
            cache.alive.push(code.clone().unbind());
            return Ok((bits, text, Some(cache.generation)));
        }
        Ok((bits, text, None))
    }
}

#[pymethods]
impl CallSites {
    /// `classify(code) -> (bits, text)`: bits 8 for application code (text: its display
    /// path), 1 for a `QuerySet` entry point (text: its name), 2 for the SQL compiler, 4 for
    /// a values iterable (text: `values` or `values_list`), 16 where a thread hop from async
    /// code starts (the walk stops: no application frame), 8 + 32 for application code of the
    /// test harness (see `Walk::entry`), 0 for any other library frame.
    /// `operation(api, values, orm) -> str`: what a query that is not a relation load ran
    /// (see `Scope::record_walked`).
    /// `in_place`: read the interpreter's frames in place when the running interpreter allows
    /// it (CPython 3.11, layout checked from the caller's frame outwards); false keeps the
    /// public API (for tests comparing the two).
    #[new]
    #[pyo3(signature = (classify, operation, in_place = true))]
    fn new(py: Python<'_>, classify: Py<PyAny>, operation: Py<PyAny>, in_place: bool) -> Self {
        CallSites {
            classify,
            layout: if in_place { Layout::check(py) } else { None },
            operation,
            cache: Mutex::new(Cache::default()),
            operations: Mutex::new(Vec::new()),
        }
    }

    /// Walks from `frame` outwards: `(call site, api, values, orm, context, entry, callee)`, where
    /// the call site is `path:line` of the first application frame (`<unknown>` when there is
    /// none), `api` the outermost `QuerySet` entry point below it, `values` the values kind,
    /// `orm` whether the SQL compiler is on the stack, `context` the calling context of the
    /// application frame (0 for none; see `Walk::context`), `entry` the frame through which
    /// test code called the code under test (`None` for none; see `Walk::entry`), `callee` the
    /// library frame the application frame called (see `Walk::callee`).
    fn locate<'py>(&self, py: Python<'py>, frame: Bound<'py, PyAny>) -> PyResult<Located<'py>> {
        let walk = self.walk(py, frame)?;
        let site = self.site_string(py, &walk);
        Ok((
            site,
            walk.api,
            walk.values,
            walk.orm,
            walk.context,
            walk.entry,
            walk.callee,
        ))
    }

    /// `path:line` of the first application frame from `frame` outwards, or `<unknown>`.
    fn call_site<'py>(
        &self,
        py: Python<'py>,
        frame: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyString>> {
        let walk = self.walk(py, frame)?;
        Ok(self.site_string(py, &walk))
    }

    /// Forgets every classification and operation (after the callables changed).
    fn clear(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.codes.clear();
            cache.sites.clear();
            cache.lines.clear();
            cache.alive.clear();
            cache.generation += 1;
        }
        if let Ok(mut ops) = self.operations.lock() {
            ops.clear();
        }
    }

    /// Whether frames are read in place (see `crate::stack`), not through the public API.
    #[getter]
    fn in_place(&self) -> bool {
        self.layout.is_some()
    }

    /// Code objects classified so far.
    fn __len__(&self) -> usize {
        self.cache.lock().map(|c| c.codes.len()).unwrap_or(0)
    }
}
