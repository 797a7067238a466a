//! The JSON rendering (`--format json`).

use serde::Serialize;

use crate::{Diagnostic, Location};

/// Renders `diagnostics` as a pretty-printed JSON array, in the order given, with no trailing
/// newline. No diagnostics give `[]`.
///
/// Each element is an object with exactly these keys, in this order:
///
/// | key           | type             | meaning |
/// |---------------|------------------|---------|
/// | `code`        | string           | rule code, e.g. `"QS101"` |
/// | `name`        | string           | rule name, e.g. `"missing-select-related"` |
/// | `message`     | string           | what is wrong |
/// | `path`        | string           | file of the finding, as given on the command line joined with the file's relative path |
/// | `line`        | number           | 1-based line of the finding |
/// | `column`      | number           | 1-based column of the finding, counted in Unicode scalar values (not bytes, not UTF-16 units) |
/// | `relation`    | string or null   | the relation path, e.g. `"Order.customer -> Customer.team"` |
/// | `fix`         | string or null   | the code to write, e.g. `".select_related(\"customer__team\")"` |
/// | `fix_message` | string or null   | where to put it, e.g. `"add to the queryset built at shop/views.py:42"`; null exactly when `fix` is null |
/// | `fix_safety`  | string or null   | `"safe"` (only changes how many queries run), `"unsafe"` (may change the result), `"display-only"` (advice, not a mechanical edit); null exactly when `fix` is null |
/// | `origin_path` | string or null   | file where the queryset that produced the rows was built |
/// | `origin_line` | number or null   | 1-based line where that queryset was built; null exactly when `origin_path` is null |
/// | `confidence`  | string           | `"high"`, or `"low"` for findings shown only with `--include-uncertain` |
/// | `related`     | array of objects | secondary locations that explain the finding, each `{"path": string, "line": number, "message": string}` with a 1-based `line`; `[]` when there are none |
///
/// Paths that are not valid UTF-8 are written lossily (invalid bytes become U+FFFD).
///
/// Example:
///
/// ```json
/// [
///   {
///     "code": "QS101",
///     "name": "missing-select-related",
///     "message": "`order.customer.team` runs one query per order",
///     "path": "shop/views.py",
///     "line": 12,
///     "column": 15,
///     "relation": "Order.customer -> Customer.team",
///     "fix": ".select_related(\"customer__team\")",
///     "fix_message": "add to the queryset built at shop/views.py:10",
///     "fix_safety": "safe",
///     "origin_path": "shop/views.py",
///     "origin_line": 10,
///     "confidence": "high",
///     "related": []
///   }
/// ]
/// ```
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic<'_>> = diagnostics.iter().map(JsonDiagnostic::from).collect();
    // Serializing structs of strings, numbers, options and vectors cannot fail: serde_json only
    // errors on failing `Serialize` impls and non-string map keys, and there are neither here.
    serde_json::to_string_pretty(&items).expect("serializing plain structs cannot fail")
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    name: &'a str,
    message: &'a str,
    path: String,
    line: u32,
    column: u32,
    relation: Option<&'a str>,
    fix: Option<&'a str>,
    fix_message: Option<&'a str>,
    fix_safety: Option<&'static str>,
    origin_path: Option<String>,
    origin_line: Option<u32>,
    confidence: &'static str,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: String,
    line: u32,
    message: &'a str,
}

fn path_string(location: &Location) -> String {
    location.path.to_string_lossy().into_owned()
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            code: d.code,
            name: d.name,
            message: &d.message,
            path: path_string(&d.location),
            line: d.location.line,
            column: d.location.column,
            relation: d.relation.as_deref(),
            fix: d.fix.as_ref().map(|f| f.code.as_str()),
            fix_message: d.fix.as_ref().map(|f| f.message.as_str()),
            fix_safety: d.fix.as_ref().map(|f| f.safety.as_str()),
            origin_path: d.origin.as_ref().map(path_string),
            origin_line: d.origin.as_ref().map(|o| o.line),
            confidence: d.confidence.as_str(),
            related: d
                .related
                .iter()
                .map(|r| JsonRelated {
                    path: path_string(&r.location),
                    line: r.location.line,
                    message: &r.message,
                })
                .collect(),
        }
    }
}
