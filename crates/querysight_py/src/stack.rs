//! The running thread's frames read in place, on CPython 3.11: the stack walk of every query
//! without a frame object per frame.
//!
//! `PyFrame_GetBack`, the public way outwards, makes a frame object for every frame it
//! passes (CPython 3.11 creates them lazily) and each is freed again when its call returns:
//! about 0.1 µs a frame, and a query from the ORM is 20 to 40 frames deep. Profilers (py-spy,
//! austin) read CPython's interpreter frames instead; so does this module, in process and
//! under the GIL, where the frames cannot change while they are read.
//!
//! The layouts below mirror CPython 3.11's `Include/internal/pycore_frame.h` (`struct _frame`,
//! `_PyInterpreterFrame`) and `Include/cpython/code.h` (`PyCodeObject`). They are used only
//! when [`Layout::check`] confirmed them against the public API on the running interpreter:
//! anything else (another version, another build) keeps the public, slower walk.
//!
//! Reading is all this module does to a frame, with one exception: [`RawFrame::call_token`]
//! gives a frame without a locals dict an empty one, the dict CPython itself would create the
//! first time `frame.f_locals` or `locals()` is read, so that the call has an object of its
//! own to be told apart by (a frame object would do, but making one is what this module
//! avoids).

use std::ffi::{c_char, c_int};
use std::mem::offset_of;
use std::ptr::NonNull;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// CPython 3.11's `struct _frame` (a frame object), up to the field read here.
#[repr(C)]
#[allow(dead_code)] // a mirror of CPython's layout: every field places the next
struct FrameObject {
    ob_refcnt: ffi::Py_ssize_t,
    ob_type: *mut ffi::PyTypeObject,
    f_back: *mut ffi::PyObject,
    f_frame: *mut InterpreterFrame,
}

/// CPython 3.11's `_PyInterpreterFrame`, without the locals and stack that follow it.
#[repr(C)]
#[allow(dead_code)] // a mirror of CPython's layout: every field places the next
struct InterpreterFrame {
    f_func: *mut ffi::PyObject,
    f_globals: *mut ffi::PyObject,
    f_builtins: *mut ffi::PyObject,
    f_locals: *mut ffi::PyObject,
    f_code: *mut ffi::PyObject,
    frame_obj: *mut ffi::PyObject,
    previous: *mut InterpreterFrame,
    /// The code unit before the next instruction (`_PyInterpreterFrame_LASTI`).
    prev_instr: *const u16,
    stacktop: c_int,
    is_entry: bool,
    owner: c_char,
}

/// `FRAME_OWNED_BY_GENERATOR` of `enum _frameowner`: a generator's frame is never incomplete.
const OWNED_BY_GENERATOR: c_char = 1;
/// `FRAME_OWNED_BY_FRAME_OBJECT`, the highest `enum _frameowner` value of 3.11: a frame whose
/// call has returned, kept by its frame object (which links outwards through `f_back`, not
/// `previous`).
const OWNED_BY_FRAME_OBJECT: c_char = 2;

/// CPython 3.11's `PyCodeObject` (`_PyCode_DEF`), up to its bytecode.
#[repr(C)]
#[allow(dead_code)] // a mirror of CPython's layout: every field places the next
struct CodeObject {
    ob_refcnt: ffi::Py_ssize_t,
    ob_type: *mut ffi::PyTypeObject,
    ob_size: ffi::Py_ssize_t,
    co_consts: *mut ffi::PyObject,
    co_names: *mut ffi::PyObject,
    co_exceptiontable: *mut ffi::PyObject,
    co_flags: c_int,
    co_warmup: i16,
    co_linearray_entry_size: i16,
    co_argcount: c_int,
    co_posonlyargcount: c_int,
    co_kwonlyargcount: c_int,
    co_stacksize: c_int,
    co_firstlineno: c_int,
    co_nlocalsplus: c_int,
    co_nlocals: c_int,
    co_nplaincellvars: c_int,
    co_ncellvars: c_int,
    co_nfreevars: c_int,
    co_localsplusnames: *mut ffi::PyObject,
    co_localspluskinds: *mut ffi::PyObject,
    co_filename: *mut ffi::PyObject,
    co_name: *mut ffi::PyObject,
    co_qualname: *mut ffi::PyObject,
    co_linetable: *mut ffi::PyObject,
    co_weakreflist: *mut ffi::PyObject,
    co_code: *mut ffi::PyObject,
    co_linearray: *mut c_char,
    /// Index (in code units) of the first traceable instruction: a frame before it has not
    /// started (`_PyFrame_IsIncomplete`).
    co_firsttraceable: c_int,
    co_extra: *mut std::ffi::c_void,
    /// The bytecode (`_PyCode_CODE`).
    co_code_adaptive: [u16; 1],
}

/// Frames compared with the public walk by [`Layout::check`], at most.
const CHECK_DEPTH: usize = 64;

/// Whether the layouts above are the running interpreter's: found once per walker.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout(());

impl Layout {
    /// `Some` when the interpreter is CPython 3.11 and the layouts agree with what the public
    /// API says of every frame from the caller's outwards (code object, instruction offset,
    /// line, the link to the next frame) and of their code objects (first line, argument
    /// count, bytecode length). `None` otherwise: the caller keeps the public walk.
    pub(crate) fn check(py: Python<'_>) -> Option<Layout> {
        let version = py.version_info();
        let cpython = py
            .import("sys")
            .and_then(|sys| {
                sys.getattr("implementation")?
                    .getattr("name")?
                    .extract::<String>()
            })
            .is_ok_and(|name| name == "cpython");
        if (version.major, version.minor) != (3, 11) || !cpython {
            return None;
        }
        // SAFETY: under the GIL; `PyEval_GetFrame` returns a borrowed frame object (or null),
        // which the caller's running frame keeps alive during this check.
        let top = unsafe { ffi::PyEval_GetFrame() };
        let top = NonNull::new(top.cast::<ffi::PyObject>())?;
        // SAFETY: a live object (above); the `Bound` takes a reference of its own.
        let top = unsafe { Bound::from_borrowed_ptr(py, top.as_ptr()) };
        let mut public = top.cast_into::<pyo3::types::PyFrame>().ok();
        // SAFETY: `public` is a frame object of CPython 3.11: `f_frame` is its second field
        // after the object header.
        let mut raw = public
            .as_ref()
            .and_then(|f| unsafe { RawFrame::of_frame_object(f.as_ptr()) });
        let mut compared = 0;
        while let Some(frame) = public {
            let fast = raw?;
            if compared == CHECK_DEPTH {
                return Some(Layout(()));
            }
            if !Self::same(&frame, fast) {
                return None;
            }
            compared += 1;
            public = pyo3::types::PyFrameMethods::outer(&frame);
            raw = fast.outer();
        }
        // Both walks end together.
        (raw.is_none() && compared > 0).then_some(Layout(()))
    }

    /// Whether `fast` reads as `frame` does through the public API.
    fn same(frame: &Bound<'_, pyo3::types::PyFrame>, fast: RawFrame) -> bool {
        use pyo3::types::PyFrameMethods;
        let code = frame.code();
        let frame_ptr = frame.as_ptr();
        // SAFETY: `fast` is a live frame of this thread (see `RawFrame`).
        let iframe = unsafe { fast.0.as_ref() };
        if iframe.f_code != code.as_ptr()
            || !(iframe.frame_obj.is_null() || iframe.frame_obj == frame_ptr)
            || !(0..=OWNED_BY_FRAME_OBJECT).contains(&iframe.owner)
        {
            return false;
        }
        let lasti = frame_lasti(frame);
        if fast.lasti() != lasti || fast.line() != i64::from(frame.line_number()) {
            return false;
        }
        // SAFETY: `iframe.f_code` is the code object compared above.
        let fields = unsafe { &*iframe.f_code.cast::<CodeObject>() };
        let attr = |name: &str| {
            code.getattr(name)
                .and_then(|v| v.extract::<i64>())
                .unwrap_or(i64::MIN)
        };
        let units = code
            .getattr("co_code")
            .and_then(|c| c.len())
            .map(|n| n as i64 / 2)
            .unwrap_or(-1);
        i64::from(fields.co_firstlineno) == attr("co_firstlineno")
            && i64::from(fields.co_argcount) == attr("co_argcount")
            && i64::from(fields.co_stacksize) == attr("co_stacksize")
            && (0..units.max(1)).contains(&i64::from(fields.co_firsttraceable))
    }
}

/// One frame of the running thread, read in place. Valid while the walk that found it runs
/// (under the GIL, with no Python code run in between: the frames from the walk's start
/// outwards are all still running).
#[derive(Clone, Copy)]
pub(crate) struct RawFrame(NonNull<InterpreterFrame>);

/// `frame.f_lasti`: the offset of the frame's current instruction in bytes, -1 before the
/// first (`PyFrame_GetLasti`, public since 3.11).
pub(crate) fn frame_lasti(frame: &Bound<'_, pyo3::types::PyFrame>) -> i64 {
    // SAFETY: a frame object, under the GIL.
    i64::from(unsafe { ffi::PyFrame_GetLasti(frame.as_ptr().cast()) })
}

impl RawFrame {
    /// The interpreter frame behind `frame`, or `None` when its call has returned (the
    /// public API still walks outwards from such a frame; reading in place cannot). `layout`
    /// says the layouts were checked on this interpreter.
    pub(crate) fn of_frame(
        _layout: Layout,
        frame: &Bound<'_, pyo3::types::PyFrame>,
    ) -> Option<RawFrame> {
        // SAFETY: a live frame object of CPython 3.11 (`Layout::check` passed).
        unsafe { RawFrame::of_frame_object(frame.as_ptr()) }
    }

    /// See [`RawFrame::of_frame`].
    ///
    /// # Safety
    /// `frame` is a live frame object of CPython 3.11, and [`Layout::check`] passed.
    unsafe fn of_frame_object(frame: *mut ffi::PyObject) -> Option<RawFrame> {
        let object = unsafe { &*frame.cast::<FrameObject>() };
        let raw = RawFrame(NonNull::new(object.f_frame)?);
        (raw.frame().owner != OWNED_BY_FRAME_OBJECT).then_some(raw)
    }

    fn frame(&self) -> &InterpreterFrame {
        // SAFETY: see the type's docs.
        unsafe { self.0.as_ref() }
    }

    /// The frame's code object.
    pub(crate) fn code<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        // SAFETY: the running frame holds its code object.
        unsafe { Bound::from_borrowed_ptr(py, self.frame().f_code) }
    }

    /// The first code unit of the frame's bytecode.
    fn code_start(&self) -> *const u16 {
        let code = self.frame().f_code.cast::<u8>();
        // SAFETY: `f_code` is a code object: its bytecode starts at this offset.
        unsafe { code.add(offset_of!(CodeObject, co_code_adaptive)).cast() }
    }

    /// `_PyFrame_IsIncomplete`: a frame still making its cells, before its first `RESUME`
    /// (the public walk passes over such frames too).
    fn incomplete(&self) -> bool {
        let frame = self.frame();
        if frame.owner == OWNED_BY_GENERATOR {
            return false;
        }
        // SAFETY: `f_code` is a code object.
        let first = unsafe { (*frame.f_code.cast::<CodeObject>()).co_firsttraceable };
        (frame.prev_instr as usize) < self.code_start() as usize + 2 * first.max(0) as usize
    }

    /// The current instruction's index in code units (`_PyInterpreterFrame_LASTI`): -1 before
    /// the first.
    fn units(&self) -> isize {
        (self.frame().prev_instr as isize - self.code_start() as isize) / 2
    }

    /// The offset of the current instruction in bytes (`frame.f_lasti`), -1 before the first.
    pub(crate) fn lasti(&self) -> i64 {
        let units = self.units();
        if units < 0 {
            -1
        } else {
            units as i64 * 2
        }
    }

    /// The line being run (`frame.f_lineno` without a trace function): the line of byte
    /// offset `units * 2`, as `PyFrame_GetLineNumber` asks for it.
    pub(crate) fn line(&self) -> i64 {
        let offset = self.units() * 2;
        // SAFETY: `f_code` is a code object; `PyCode_Addr2Line` takes any offset.
        i64::from(unsafe { ffi::PyCode_Addr2Line(self.frame().f_code.cast(), offset as c_int) })
    }

    /// The next frame outwards that has started (`PyFrame_GetBack`'s), or `None` at the
    /// bottom of the thread's stack.
    pub(crate) fn outer(&self) -> Option<RawFrame> {
        let mut previous = self.frame().previous;
        while let Some(frame) = NonNull::new(previous) {
            let frame = RawFrame(frame);
            if !frame.incomplete() {
                return Some(frame);
            }
            previous = frame.frame().previous;
        }
        None
    }

    /// An object that is this call's for as long as the call runs and no other call's while
    /// it is held: the frame's locals dict, made empty when it has none (as reading
    /// `frame.f_locals` would). A frame owns its dict, so a later call at the same place on
    /// the stack starts without one and gets a new one.
    pub(crate) fn call_token(&self, py: Python<'_>) -> Py<PyAny> {
        let mut frame = self.0;
        // SAFETY: see the type's docs; the GIL is held, so no other thread reads or writes
        // this field meanwhile.
        let locals = unsafe { &mut frame.as_mut().f_locals };
        if locals.is_null() {
            // The frame takes the new dict's reference (CPython drops it when the frame is
            // cleared); the token is a second one.
            *locals = PyDict::new(py).into_any().into_ptr();
        }
        // SAFETY: a live dict (or whatever mapping the frame had).
        unsafe { Bound::from_borrowed_ptr(py, *locals) }.unbind()
    }
}
