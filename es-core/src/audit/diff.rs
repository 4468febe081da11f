//! Field-level differences between two JSON states.

use serde_json::Value;

use super::replay::EventRef;

/// One field whose value differs. `path` is a JSON Pointer (RFC 6901) into the state,
/// e.g. `/status` or `/checkpoints/2/reached_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: String,
    /// `None`: the field did not exist before.
    pub before: Option<Value>,
    /// `None`: the field no longer exists.
    pub after: Option<Value>,
    /// The events that changed it, in version order (filled in by `diff`).
    pub changed_by: Vec<EventRef>,
}

/// Every difference between `before` and `after`, sorted by path. Objects are compared
/// key by key and arrays index by index, down to the values that differ; a key or index
/// present on one side only is one change holding its whole value.
pub fn changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut found = Vec::new();
    walk(&mut String::new(), Some(before), Some(after), &mut found);
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn walk(
    path: &mut String,
    before: Option<&Value>,
    after: Option<&Value>,
    found: &mut Vec<FieldChange>,
) {
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
            for key in keys {
                within(path, &escape(key), |path| {
                    walk(path, a.get(key), b.get(key), found)
                });
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                within(path, &i.to_string(), |path| {
                    walk(path, a.get(i), b.get(i), found)
                });
            }
        }
        (a, b) if a == b => {}
        (a, b) => found.push(FieldChange {
            path: if path.is_empty() {
                "/".to_owned()
            } else {
                path.clone()
            },
            before: a.cloned(),
            after: b.cloned(),
            changed_by: Vec::new(),
        }),
    }
}

/// Runs `f` with `/segment` appended to `path`, then restores it.
fn within(path: &mut String, segment: &str, f: impl FnOnce(&mut String)) {
    let len = path.len();
    path.push('/');
    path.push_str(segment);
    f(path);
    path.truncate(len);
}

/// RFC 6901: `~` is `~0`, `/` is `~1`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(before: Value, after: Value) -> Vec<(String, Option<Value>, Option<Value>)> {
        changes(&before, &after)
            .into_iter()
            .map(|c| (c.path, c.before, c.after))
            .collect()
    }

    #[test]
    fn equal_states_have_no_changes() {
        let state = json!({"status": "planned", "jobs": [{"id": 1}]});
        assert!(changes(&state, &state.clone()).is_empty());
    }

    #[test]
    fn a_changed_leaf_is_named_by_its_pointer_with_both_values() {
        assert_eq!(
            paths(
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"b": 1, "c": 3}})
            ),
            vec![("/a/c".to_owned(), Some(json!(2)), Some(json!(3)))]
        );
    }

    #[test]
    fn an_added_or_removed_field_is_one_change_holding_its_whole_value() {
        assert_eq!(
            paths(json!({"old": {"x": 1}}), json!({"new": {"y": [1, 2]}})),
            vec![
                ("/new".to_owned(), None, Some(json!({"y": [1, 2]}))),
                ("/old".to_owned(), Some(json!({"x": 1})), None),
            ]
        );
    }

    #[test]
    fn arrays_are_compared_index_by_index() {
        assert_eq!(
            paths(json!({"l": [1, 2]}), json!({"l": [1, 5, 7]})),
            vec![
                ("/l/1".to_owned(), Some(json!(2)), Some(json!(5))),
                ("/l/2".to_owned(), None, Some(json!(7))),
            ]
        );
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped_as_rfc_6901_says() {
        assert_eq!(
            paths(json!({"a/b~c": 1}), json!({"a/b~c": 2}))[0].0,
            "/a~1b~0c"
        );
    }

    #[test]
    fn a_whole_state_replaced_by_another_kind_of_value_is_a_change_at_the_root() {
        assert_eq!(
            paths(json!(null), json!({"a": 1})),
            vec![("/".to_owned(), Some(json!(null)), Some(json!({"a": 1})))]
        );
    }
}
