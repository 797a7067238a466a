//! Phase 3, DRF serializers instantiated in code: `BookSerializer(books, many=True).data` in a
//! function view or an `APIView` method.
//!
//! DRF behaviour followed: `BaseSerializer.__new__` with `many=True` builds a `ListSerializer`
//! whose `to_representation` iterates the rows (`.all()` on a manager) and serializes each
//! with the child; without `many` the instance itself is serialized. The instance is the first
//! positional argument or `instance=`. Whether the class is a serializer is only known in
//! phase 4: any class-like callee (last dotted segment capitalized) with a tracked instance is
//! recorded, and a class that is not a project serializer resolves to nothing.

use querysight_python::ast::{self, Expr};
use querysight_python::{bool_literal, dotted_name, keyword, Ranged};

use super::{extend, Walker};
use crate::chain::{ArgRef, Callee, Step, SynthKey};

impl Walker<'_> {
    /// `SomeSerializer(instance, many=True)`: passes each row (or the instance) to the
    /// serializer's synthetic function. True when the call was one (its arguments are then
    /// evaluated here).
    pub(super) fn serializer_call(&mut self, call: &ast::ExprCall) -> bool {
        let Some(dotted) = dotted_name(&call.func) else {
            return false;
        };
        let head = dotted.split('.').next().unwrap_or(&dotted);
        let last = dotted.rsplit('.').next().unwrap_or(&dotted);
        if !last.starts_with(|c: char| c.is_ascii_uppercase())
            || self.env.contains_key(head)
            || (self.module.imports.get(head).is_none() && !self.top_level.contains(head))
        {
            return false;
        }
        let args = &call.arguments;
        let instance = args.args.first().or_else(|| keyword(args, "instance"));
        let Some(instance) = instance else {
            return false;
        };
        // Not a tracked value: the call is evaluated as any other call.
        if self.eval_quiet(instance).is_empty() {
            return false;
        }
        let chains = self.eval(instance);
        let many = keyword(args, "many").and_then(bool_literal) == Some(true);
        let range = call.range();
        let rows = if many {
            extend(&chains, Step::Iter { range })
        } else {
            chains
        };
        let class = self.module.imports.qualify(&dotted, &self.module.module);
        let callee = Callee::Synthetic(SynthKey::Serializer(class));
        self.invoke_each(&rows, &callee, ArgRef::Positional(0), range);
        self.eval_other_args(call, instance);
        true
    }

    fn eval_other_args(&mut self, call: &ast::ExprCall, instance: &Expr) {
        let args = &call.arguments;
        for arg in &args.args {
            if !std::ptr::eq(arg, instance) {
                self.eval(arg);
            }
        }
        for kw in &args.keywords {
            if !std::ptr::eq(&kw.value, instance) {
                self.eval(&kw.value);
            }
        }
    }
}
