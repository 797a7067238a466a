//! Tables and columns to Django models and relations (with `--project`), and the eager load
//! that removes a burst.
//!
//! The CLI builds the [`Schema`] from `querysight check`'s model graph
//! (`querysight_django::Project`). A model's table is Django's default,
//! `<app_label>_<model name in lower case>`; a custom `Meta.db_table` is not read, so its
//! bursts get no fix. From a burst's canonical text the first `FROM`
//! table and the first `WHERE` column are read, and from its source query the `FROM` table:
//!
//! - `... FROM author WHERE author.id = ?` after `FROM book`: a forward foreign key or
//!   one-to-one of Book to Author → `select_related("author")`;
//! - `... FROM review WHERE review.book_id = ?` (or `IN (?+)`) after `FROM book`: a reverse
//!   foreign key (`prefetch_related("reviews")`) or reverse one-to-one (`select_related`);
//! - `... FROM tag INNER JOIN book_tags ... WHERE book_tags.book_id = ?` after `FROM book`:
//!   a many-to-many → `prefetch_related("tags")`.
//!
//! Without a source query, or when its model has no such relation, a relation of any model
//! that matches the table and column is used, when exactly one does.

use rustc_hash::FxHashMap;

use crate::analysis::{Analysis, Fix};

/// What a relation is, as far as the SQL of a burst can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationKind {
    /// A foreign key or one-to-one read from the declaring model (`select_related`).
    Forward,
    /// A one-to-one read from the target model (`select_related`).
    ReverseOneToOne,
    /// A foreign key read from the target model: a related manager (`prefetch_related`).
    ReverseMany,
    /// A many-to-many, either side (`prefetch_related`).
    ManyToMany,
}

impl RelationKind {
    fn selectable(self) -> bool {
        matches!(self, RelationKind::Forward | RelationKind::ReverseOneToOne)
    }
}

/// One relation of a model, as given to [`Schema::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaRelation {
    /// The name used in `select_related` / `prefetch_related` (`author`, `reviews`).
    pub accessor: String,
    /// Its kind.
    pub kind: RelationKind,
    /// The table of the model on the other side.
    pub target_table: String,
    /// Forward keys: the column on this model's table (`author_id`). Reverse keys: the column
    /// of the remote foreign key on the target table (`book_id`). `None` otherwise.
    pub column: Option<String>,
}

/// One model, as given to [`Schema::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaModel {
    /// Class name, `Book`.
    pub name: String,
    /// `app_label.Name`, `catalog.Book`.
    pub label: String,
    /// Its table, `catalog_book` (Django's default is [`default_table`]).
    pub table: String,
    /// Its relations.
    pub relations: Vec<SchemaRelation>,
}

/// Django's default table name: `<app_label>_<model name in lower case>`.
pub fn default_table(app_label: &str, name: &str) -> String {
    format!("{}_{}", app_label, name.to_ascii_lowercase())
}

/// The tables of a project's models and their relations.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    by_table: FxHashMap<String, SchemaModel>,
}

impl Schema {
    /// A schema of `models` (the CLI builds them from `querysight check`'s model graph).
    pub fn new(models: Vec<SchemaModel>) -> Schema {
        Schema {
            by_table: models.into_iter().map(|m| (m.table.clone(), m)).collect(),
        }
    }

    /// Models known.
    pub fn len(&self) -> usize {
        self.by_table.len()
    }

    /// No models known.
    pub fn is_empty(&self) -> bool {
        self.by_table.is_empty()
    }

    /// Fills [`Burst::fix`](crate::Burst::fix) for every burst whose relation is found.
    pub fn apply(&self, analysis: &mut Analysis) {
        for b in &mut analysis.bursts {
            b.fix = self.fix_for(&b.shape.text, b.source.as_ref().map(|s| s.text.as_str()));
        }
    }

    /// The fix for a burst of canonical text `burst` after source query `source`.
    pub fn fix_for(&self, burst: &str, source: Option<&str>) -> Option<Fix> {
        let table = from_table(burst)?;
        let (where_table, column) = where_column(burst)?;
        let source_table = source.and_then(from_table);
        let matches = |rel: &SchemaRelation| -> bool {
            if rel.target_table != table {
                return false;
            }
            match rel.kind {
                RelationKind::Forward => where_table == table && column == "id",
                RelationKind::ReverseOneToOne | RelationKind::ReverseMany => {
                    where_table == table && rel.column.as_deref() == Some(column)
                }
                RelationKind::ManyToMany => where_table != table,
            }
        };
        let fix = |model: &SchemaModel, rel: &SchemaRelation| {
            let call = if rel.kind.selectable() {
                format!("select_related(\"{}\")", rel.accessor)
            } else {
                format!("prefetch_related(\"{}\")", rel.accessor)
            };
            Fix {
                relation: format!("{}.{}", model.name, rel.accessor),
                call,
                model: model.label.clone(),
            }
        };
        if let Some(model) = source_table.and_then(|t| self.by_table.get(t)) {
            let found: Vec<&SchemaRelation> =
                model.relations.iter().filter(|r| matches(r)).collect();
            if let [rel] = found.as_slice() {
                return Some(fix(model, rel));
            }
            if found.len() > 1 {
                return None; // two relations to the same table: the SQL cannot tell which
            }
        }
        let mut all = self.by_table.values().flat_map(|m| {
            m.relations
                .iter()
                .filter(|r| matches(r))
                .map(move |r| (m, r))
        });
        let first = all.next()?;
        if all.next().is_some() {
            return None;
        }
        Some(fix(first.0, first.1))
    }
}

/// The last part of a possibly qualified name, without quotes or a trailing comma.
fn bare(name: &str) -> &str {
    let name = name.trim_end_matches([',', ';', ')']);
    name.rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches(['"', '`'])
}

/// The table after the first `from`.
fn from_table(text: &str) -> Option<&str> {
    let mut words = text.split_ascii_whitespace();
    words.find(|w| *w == "from")?;
    let t = words.next()?;
    (!t.starts_with('(')).then(|| bare(t))
}

/// `(table, column)` of the first `where table.column = ?` / `in (...)` / `= any(...)`.
fn where_column(text: &str) -> Option<(&str, &str)> {
    let mut words = text.split_ascii_whitespace();
    words.find(|w| *w == "where")?;
    let w = words.next()?.trim_start_matches('(');
    let op = words.next()?;
    if !(op == "=" || op == "in" || op.starts_with("=")) {
        return None;
    }
    let (table, column) = w.rsplit_once('.')?;
    Some((bare(table), column.trim_matches(['"', '`'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_parts() {
        let t = "select shop_author.id, shop_author.name from shop_author where shop_author.id = ? limit ?";
        assert_eq!(from_table(t), Some("shop_author"));
        assert_eq!(where_column(t), Some(("shop_author", "id")));
        let m = "select shop_tag.id from shop_tag inner join shop_book_tags on (shop_tag.id = shop_book_tags.tag_id) where shop_book_tags.book_id = ?";
        assert_eq!(where_column(m), Some(("shop_book_tags", "book_id")));
        assert_eq!(from_table("select 1"), None);
    }
}
