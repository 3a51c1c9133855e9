//! DynamoDB on-demand capacity of the calls a `ModelledStore` sees, by DynamoDB's published
//! rules: a read unit per 4 KB read (half for an eventually consistent read, the items of a
//! Query summed before rounding), a write unit per 1 KB written (the bigger of the item before
//! and after), twice both inside a transaction. Item sizes follow DynamoDB's size rules for the
//! attribute values our adapter writes (strings, numbers, booleans, lists and maps of them).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use shared::ports::store::{Attrs, Item, Key};

/// The key attributes' names as the table has them (`template.yaml`).
const KEY_NAMES: [&str; 2] = ["PK", "SK"];
const READ_UNIT_BYTES: usize = 4 * 1024;
const WRITE_UNIT_BYTES: usize = 1024;

/// DynamoDB's size of an attribute value, in bytes.
fn value_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        // Up to 38 significant digits, about one byte per two, plus one.
        Value::Number(n) => n.to_string().trim_start_matches('-').replace('.', "").len().div_ceil(2) + 1,
        Value::Bool(_) | Value::Null => 1,
        Value::Array(values) => 3 + values.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::Object(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
    }
}

/// DynamoDB's size of an item: its attributes' names and values, the key's included.
pub fn item_size(key: &Key, attrs: &Attrs) -> usize {
    let key_size = KEY_NAMES[0].len() + key.pk.len() + KEY_NAMES[1].len() + key.sk.len();
    key_size + attrs.iter().map(|(name, value)| name.len() + value_size(value)).sum::<usize>()
}

pub fn stored_size(item: &Item) -> usize {
    item_size(&item.key, &item.attrs)
}

/// Read units of one read of `bytes` (at least one unit: a miss costs as much as a small hit).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(READ_UNIT_BYTES).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

/// Write units of writing an item of `bytes` (twice that inside a transaction).
pub fn write_units(bytes: usize, transactional: bool) -> f64 {
    let units = bytes.div_ceil(WRITE_UNIT_BYTES).max(1) as f64;
    if transactional {
        2.0 * units
    } else {
        units
    }
}

/// Units consumed so far, kept in thousandths to be shared between tasks without a lock.
#[derive(Debug, Default)]
pub struct Capacity {
    read_milli: AtomicU64,
    write_milli: AtomicU64,
}

impl Capacity {
    pub fn add_read(&self, units: f64) {
        self.read_milli.fetch_add((units * 1000.0).round() as u64, Ordering::SeqCst);
    }
    pub fn add_write(&self, units: f64) {
        self.write_milli.fetch_add((units * 1000.0).round() as u64, Ordering::SeqCst);
    }
    pub fn read_units(&self) -> f64 {
        self.read_milli.load(Ordering::SeqCst) as f64 / 1000.0
    }
    pub fn write_units(&self) -> f64 {
        self.write_milli.load(Ordering::SeqCst) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn attrs(value: Value) -> Attrs {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        let key = Key::new("T#a", "M#1");
        // PK + "T#a" + SK + "M#1" = 2 + 3 + 2 + 3.
        assert_eq!(item_size(&key, &Attrs::new()), 10);
        // "body" + 5 bytes; "n" + 3 digits (2 + 1); "ok" + 1.
        assert_eq!(item_size(&key, &attrs(json!({"body": "hello", "n": 123, "ok": true}))), 10 + 9 + 4 + 3);
        // A list of two strings: 3 + (1 + 1) + (1 + 2).
        assert_eq!(item_size(&key, &attrs(json!({"l": ["a", "bc"]}))), 10 + 1 + 8);
        // UTF-8 bytes, not characters.
        assert_eq!(item_size(&key, &attrs(json!({"s": "é"}))), 10 + 1 + 2);
    }

    #[test]
    fn units_round_up_per_unit_and_double_in_transactions() {
        assert_eq!(read_units(0, true), 1.0, "a miss still costs a unit");
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(write_units(1024, false), 1.0);
        assert_eq!(write_units(1025, false), 2.0);
        assert_eq!(write_units(100, true), 2.0);
        let capacity = Capacity::default();
        capacity.add_read(0.5);
        capacity.add_read(1.0);
        capacity.add_write(2.0);
        assert_eq!((capacity.read_units(), capacity.write_units()), (1.5, 2.0));
    }
}
