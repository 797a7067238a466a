//! Settings the semantic model reads: which third-party field classes are relations and which
//! unresolvable base classes are models. Frozen after the CLI merged `[tool.querysight]`.

/// Frozen semantic-model settings.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// Last name component of field classes that behave like `ForeignKey`.
    pub foreign_key_fields: Vec<String>,
    /// ... like `OneToOneField`.
    pub one_to_one_fields: Vec<String>,
    /// ... like `ManyToManyField`.
    pub many_to_many_fields: Vec<String>,
    /// Last name component of base classes that make a class a model even when their source is
    /// not analysed (third-party abstract models).
    pub model_bases: Vec<String>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect();
        ModelConfig {
            foreign_key_fields: s(&[
                "ForeignKey",
                "ParentalKey",
                "TreeForeignKey",
                "ForeignObject",
            ]),
            one_to_one_fields: s(&["OneToOneField", "TreeOneToOneField", "AutoOneToOneField"]),
            many_to_many_fields: s(&[
                "ManyToManyField",
                "ParentalManyToManyField",
                "TreeManyToManyField",
                "SortedManyToManyField",
            ]),
            model_bases: s(&[
                "Model",
                "AbstractUser",
                "AbstractBaseUser",
                "PermissionsMixin",
                "TimeStampedModel",
                "TimeFramedModel",
                "StatusModel",
                "SoftDeletableModel",
                "MPTTModel",
                "PolymorphicModel",
                "TranslatableModel",
                "ClusterableModel",
                "Orderable",
                "Page",
                "AbstractImage",
                "AbstractDocument",
                "CMSPlugin",
                "NS_Node",
                "MP_Node",
                "AL_Node",
                "OrderedModel",
                "SortableMixin",
                "AbstractBaseSession",
            ]),
        }
    }
}
