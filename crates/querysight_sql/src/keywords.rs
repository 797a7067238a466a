//! The few SQL words whose presence changes normalization. Every other word is an identifier.
//!
//! The table is deliberately small: a quoted identifier whose lower-cased name is in it keeps
//! its quotes in canonical text (so re-normalizing the text gives the same text), and Django
//! quotes every column, so common column names (`name`, `type`, `date`, `key`, `value`, ...)
//! must not be here.

/// Not an operand: a sign right after this word belongs to a number (`select -1`), and a `(`
/// after it opens a list (`in (`) unless [`FUNC`] is set.
pub(crate) const NON_OPERAND: u16 = 1 << 0;
/// A relation name follows (`from`, `join`, `into`, `update`, `table`, ...).
pub(crate) const RELATION: u16 = 1 << 1;
/// Keeps a pending relation name pending (`if`, `not`, `exists`, `only`, `lateral`, `of`).
pub(crate) const RELATION_PASS: u16 = 1 << 2;
/// Always one space before a following `(` (`in (`, `values (`, `exists (`).
pub(crate) const SPACE_PAREN: u16 = 1 << 3;
/// Never a space before a following `(` (`any(`, `cast(`).
pub(crate) const NO_SPACE_PAREN: u16 = 1 << 4;
/// A following `(` is a call, never a list to collapse (`any(?)` stays `any(?)`).
pub(crate) const FUNC: u16 = 1 << 5;
/// Rows follow (`values`): identical consecutive rows merge into one.
pub(crate) const VALUES: u16 = 1 << 6;
/// A literal value: `null`, `true`, `false`.
pub(crate) const LITERAL: u16 = 1 << 7;
/// Starts a comma-separated list of relations (`from a, b`).
pub(crate) const FROM_LIST: u16 = 1 << 8;
/// Ends a `from` list: the clause that follows it (`where`, `group`, `order`, `limit`, ...).
pub(crate) const FROM_END: u16 = 1 << 9;

/// Keywords that other rules look at by identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KwId {
    /// Not a keyword, or one without a rule of its own.
    Other,
    Is,
    Not,
    Distinct,
    From,
    Null,
}

/// One keyword: its identity and its flags (the constants above).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Kw {
    pub(crate) id: KwId,
    pub(crate) flags: u16,
}

const NO: u16 = NON_OPERAND;

/// Sorted by name (byte order), checked by a unit test; at most 255 entries.
const TABLE: &[(&[u8], KwId, u16)] = &[
    (b"all", KwId::Other, NO | FUNC),
    (b"alter", KwId::Other, NO),
    (b"and", KwId::Other, NO | SPACE_PAREN),
    (b"any", KwId::Other, NO | FUNC | NO_SPACE_PAREN),
    (b"array", KwId::Other, NO),
    (b"as", KwId::Other, NO | SPACE_PAREN),
    (b"between", KwId::Other, NO),
    (b"by", KwId::Other, NO),
    (b"case", KwId::Other, NO),
    (b"cast", KwId::Other, NO | FUNC | NO_SPACE_PAREN),
    (b"create", KwId::Other, NO),
    (b"cross", KwId::Other, NO),
    (b"default", KwId::Other, NO),
    (b"delete", KwId::Other, NO),
    (b"distinct", KwId::Distinct, NO),
    (b"div", KwId::Other, NO),
    (b"drop", KwId::Other, NO),
    (b"else", KwId::Other, NO | SPACE_PAREN),
    (b"escape", KwId::Other, NO),
    (b"except", KwId::Other, NO | SPACE_PAREN | FROM_END),
    (b"exists", KwId::Other, NO | SPACE_PAREN | RELATION_PASS),
    (b"false", KwId::Other, LITERAL),
    (b"for", KwId::Other, NO | FROM_END),
    (b"from", KwId::From, NO | SPACE_PAREN | RELATION | FROM_LIST),
    (b"full", KwId::Other, NO),
    (b"glob", KwId::Other, NO),
    (b"group", KwId::Other, NO | FROM_END),
    (b"having", KwId::Other, NO | SPACE_PAREN | FROM_END),
    (
        b"if",
        KwId::Other,
        NO | FUNC | NO_SPACE_PAREN | RELATION_PASS,
    ),
    (b"ilike", KwId::Other, NO),
    (b"in", KwId::Other, NO | SPACE_PAREN),
    (b"inner", KwId::Other, NO),
    (b"insert", KwId::Other, NO),
    (b"intersect", KwId::Other, NO | SPACE_PAREN | FROM_END),
    (b"into", KwId::Other, NO | RELATION),
    (b"is", KwId::Is, NO),
    (b"join", KwId::Other, NO | SPACE_PAREN | RELATION),
    (b"lateral", KwId::Other, NO | SPACE_PAREN | RELATION_PASS),
    (b"left", KwId::Other, NO | FUNC),
    (b"like", KwId::Other, NO),
    (b"limit", KwId::Other, NO | FROM_END),
    (b"match", KwId::Other, NO),
    (b"mod", KwId::Other, NO),
    (b"natural", KwId::Other, NO),
    (b"not", KwId::Not, NO | SPACE_PAREN | RELATION_PASS),
    (b"null", KwId::Null, LITERAL),
    (b"of", KwId::Other, NO | RELATION_PASS),
    (b"offset", KwId::Other, NO | FROM_END),
    (b"on", KwId::Other, NO | SPACE_PAREN),
    (b"only", KwId::Other, NO | RELATION_PASS),
    (b"or", KwId::Other, NO | SPACE_PAREN),
    (b"order", KwId::Other, NO | FROM_END),
    (b"outer", KwId::Other, NO),
    (b"partition", KwId::Other, NO | RELATION),
    (b"recursive", KwId::Other, NO),
    (b"references", KwId::Other, NO | RELATION),
    (b"regexp", KwId::Other, NO),
    (b"returning", KwId::Other, NO | FROM_END),
    (b"right", KwId::Other, NO | FUNC),
    (b"rlike", KwId::Other, NO),
    (b"select", KwId::Other, NO | SPACE_PAREN | FROM_END),
    (b"similar", KwId::Other, NO),
    (b"some", KwId::Other, NO | FUNC | NO_SPACE_PAREN),
    (b"table", KwId::Other, NO | RELATION),
    (b"then", KwId::Other, NO | SPACE_PAREN),
    (b"to", KwId::Other, NO),
    (b"true", KwId::Other, LITERAL),
    (b"truncate", KwId::Other, NO | RELATION),
    (b"union", KwId::Other, NO | SPACE_PAREN | FROM_END),
    (b"update", KwId::Other, NO | RELATION | FROM_END),
    (b"using", KwId::Other, NO | SPACE_PAREN | RELATION),
    (b"values", KwId::Other, NO | SPACE_PAREN | VALUES | FROM_END),
    (b"when", KwId::Other, NO | SPACE_PAREN),
    (b"where", KwId::Other, NO | SPACE_PAREN | FROM_END),
    (b"with", KwId::Other, NO),
    (b"xor", KwId::Other, NO),
];

/// The longest keyword in [`TABLE`], in bytes.
const MAX_LEN: usize = 10;

/// A word of at most 15 bytes packed big-endian and left-aligned into a `u128`, its length in
/// the lowest byte (so a zero byte is not mistaken for padding). Comparing keys compares the
/// words byte by byte, so [`TABLE`]'s order is the keys' order.
const fn key(word: &[u8]) -> u128 {
    let mut k = (word.len() & 0xff) as u128;
    let mut i = 0;
    while i < word.len() && i < 15 {
        k |= (word[i] as u128) << (8 * (15 - i));
        i += 1;
    }
    k
}

/// [`TABLE`]'s keys, in the same order.
static KEYS: [u128; TABLE_LEN] = {
    let mut keys = [0u128; TABLE_LEN];
    let mut i = 0;
    while i < TABLE_LEN {
        keys[i] = key(TABLE[i].0);
        i += 1;
    }
    keys
};

const TABLE_LEN: usize = TABLE.len();

/// Multiplier of the perfect hash from keys to [`SLOTS`]: any odd 64-bit number under which no
/// two keywords share a slot. Adding a keyword may need a new one; the build fails (a const
/// panic in [`SLOTS`]) until then. Found by trying random odd numbers.
const MAGIC: u64 = 0x7731_af10_506b_f2ef;

/// The slot of a key in [`SLOTS`]: one multiply and a shift.
#[inline]
const fn slot(k: u128) -> usize {
    let folded = (k as u64) ^ ((k >> 64) as u64);
    (folded.wrapping_mul(MAGIC) >> 56) as usize
}

/// For each slot, 1 + the index in [`TABLE`] of the keyword that hashes there, or 0.
static SLOTS: [u8; 256] = {
    let mut slots = [0u8; 256];
    let mut i = 0;
    while i < TABLE_LEN {
        let s = slot(key(TABLE[i].0));
        if slots[s] != 0 {
            panic!("two keywords share a slot: choose another MAGIC");
        }
        slots[s] = (i + 1) as u8;
        i += 1;
    }
    slots
};

/// For each first letter `a..=z`, bit `n` is set when a keyword of `n` bytes starts with it: most
/// identifiers are rejected here, before any hashing.
static FIRST_LEN: [u16; 26] = {
    let mut masks = [0u16; 26];
    let mut i = 0;
    while i < TABLE_LEN {
        let name = TABLE[i].0;
        masks[(name[0] - b'a') as usize] |= 1 << name.len();
        i += 1;
    }
    masks
};

/// Looks up an already lower-cased word: a length and first-letter filter, then a hash and
/// one comparison.
#[inline]
pub(crate) fn lookup(word: &[u8]) -> Option<Kw> {
    let (&first, len) = (word.first()?, word.len());
    if len > MAX_LEN
        || !first.is_ascii_lowercase()
        || FIRST_LEN[usize::from(first - b'a')] & (1 << len) == 0
    {
        return None;
    }
    // The same packing as `key`, built in registers.
    let (mut hi, mut lo) = (0u64, len as u64);
    for (i, &b) in word.iter().enumerate() {
        if i < 8 {
            hi |= u64::from(b) << (56 - 8 * i);
        } else {
            lo |= u64::from(b) << (56 - 8 * (i - 8));
        }
    }
    let k = (u128::from(hi) << 64) | u128::from(lo);
    let index = usize::from(SLOTS[slot(k)]).checked_sub(1)?;
    if KEYS.get(index) != Some(&k) {
        return None;
    }
    TABLE.get(index).map(|&(_, id, flags)| Kw { id, flags })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_bounded() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "{:?} before {:?}",
                pair[0].0,
                pair[1].0
            );
        }
        assert!(TABLE.iter().all(|(name, _, _)| name.len() <= MAX_LEN));
        assert!(TABLE.iter().any(|(name, _, _)| name.len() == MAX_LEN));
    }

    #[test]
    fn keys_keep_the_table_order() {
        for pair in KEYS.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        assert!(key(b"in") < key(b"inner") && key(b"inner") < key(b"insert"));
    }

    #[test]
    fn lookup_finds_every_entry() {
        for (name, id, flags) in TABLE {
            let kw = lookup(name).expect("listed keyword");
            assert_eq!(kw.id, *id);
            assert_eq!(kw.flags, *flags);
        }
        assert!(lookup(b"shop_author").is_none());
        assert!(lookup(b"SELECT").is_none(), "callers lower-case first");
        assert!(lookup(b"selects").is_none() && lookup(b"selec").is_none());
        assert!(lookup(b"in\0").is_none(), "a zero byte is not padding");
        assert!(
            lookup(b"").is_none() && lookup(b"returningx").is_none() && lookup(b"_x").is_none()
        );
    }
}
