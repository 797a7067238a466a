//! Django REST framework serializers and generic views as synthetic functions.

use rustc_hash::FxHashMap;

use crate::chain::FunctionFacts;
use crate::classbody::ClassBody;
use crate::facts::FuncId;
use crate::graph::Project;

/// Adds one synthetic function per serializer class (parameter 0: the instance) and the
/// implicit list/retrieve calls of DRF views.
pub fn add_serializers(
    _project: &mut Project,
    _facts: &mut FxHashMap<FuncId, FunctionFacts>,
    _bodies: &[ClassBody],
) {
}
