//! Parsers of azlin's JSON output. A list that fails to parse is an error, never "no VMs"
//! (treating it as empty would provision a second VM and leak its cost).

use std::collections::BTreeMap;

use serde_json::Value;

/// Bounds on what is parsed (azlin's output is bounded by the wrapper too).
const MAX_VMS: usize = 10_000;

/// One VM of `azlin -o json list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedVm {
    pub name: String,
    pub power_state: Option<String>,
    pub vm_size: Option<String>,
}

/// One VM of `azlin show NAME -o json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VmDetails {
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub created_time: Option<String>,
    pub power_state: Option<String>,
    pub provisioning_state: Option<String>,
    pub vm_size: Option<String>,
    pub location: Option<String>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `{"vms": [...], ...}` (2.7.3) or a bare array (older releases). Entries without a string
/// `name` make the whole list an error: a list we cannot read is not a list of nothing.
pub fn parse_list(stdout: &[u8]) -> Result<Vec<ListedVm>, String> {
    let v: Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("`azlin list` did not print JSON ({e})"))?;
    let items = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("vms") {
            Some(Value::Array(a)) => a,
            Some(Value::Null) => return Ok(Vec::new()),
            _ => return Err("`azlin list` printed an object without a \"vms\" array".into()),
        },
        _ => return Err("`azlin list` printed neither an object nor an array".into()),
    };
    if items.len() > MAX_VMS {
        return Err(format!("`azlin list` printed more than {MAX_VMS} VMs"));
    }
    items
        .iter()
        .map(|item| {
            let name = text(item, "name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| "`azlin list` printed a VM without a name".to_string())?;
            Ok(ListedVm {
                name,
                power_state: text(item, "power_state"),
                vm_size: text(item, "vm_size"),
            })
        })
        .collect()
}

/// `azlin show NAME -o json`: an object with at least a `name`. Tags that are not strings
/// are ignored (they cannot be the reuse tag).
pub fn parse_show(stdout: &[u8]) -> Result<VmDetails, String> {
    let v: Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("`azlin show` did not print JSON ({e})"))?;
    // Some releases wrap the VM: {"vm": {...}}.
    let obj = match v.get("vm") {
        Some(inner) if inner.is_object() => inner,
        _ => &v,
    };
    if !obj.is_object() {
        return Err("`azlin show` did not print an object".into());
    }
    let name = text(obj, "name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| "`azlin show` printed a VM without a name".to_string())?;
    let tags = match obj.get("tags") {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(VmDetails {
        name,
        tags,
        created_time: text(obj, "created_time"),
        power_state: text(obj, "power_state"),
        provisioning_state: text(obj, "provisioning_state"),
        vm_size: text(obj, "vm_size"),
        location: text(obj, "location"),
    })
}

/// `Running`, `VM running`, `running` (any case).
pub fn is_running(power_state: Option<&str>) -> bool {
    power_state.is_some_and(|p| {
        let p = p.trim().to_ascii_lowercase();
        p == "running" || p == "vm running"
    })
}

/// The remote script's `status.json`: `{"exit": N, "timed_out": bool, "bundle": bool,
/// "logs": bool}`. Anything else (extra keys included) is refused: it came from the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteStatus {
    pub exit: i32,
    pub timed_out: bool,
    pub bundle: bool,
    pub logs: bool,
}

pub fn parse_status(bytes: &[u8]) -> Result<RemoteStatus, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("status.json from the VM is not valid ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_list_shapes_parse() {
        let new = br#"{"vms": [{"name": "a", "power_state": "Running", "vm_size": "Standard_D2s_v3", "ip": null}], "filters": {"tag": "x"}}"#;
        let old = br#"[{"name": "a", "power_state": "VM running"}, {"name": "b"}]"#;
        assert_eq!(parse_list(new).unwrap()[0].name, "a");
        assert_eq!(
            parse_list(new).unwrap()[0].vm_size.as_deref(),
            Some("Standard_D2s_v3")
        );
        assert_eq!(parse_list(old).unwrap().len(), 2);
        assert!(parse_list(br#"{"vms": []}"#).unwrap().is_empty());
        assert!(parse_list(b"[]").unwrap().is_empty());
    }

    #[test]
    fn garbage_lists_are_errors_not_empty() {
        for bad in [
            &b""[..],
            b"NAME  STATUS\nvm-1  Running\n",
            b"{",
            b"{\"items\": []}",
            b"\"vms\"",
            b"42",
            b"[{\"power_state\": \"Running\"}]",
            b"[{\"name\": 7}]",
            b"[{\"name\": \"\"}]",
        ] {
            assert!(parse_list(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn show_parses_tags_and_times() {
        let d = parse_show(br#"{"name": "vm", "tags": {"amplihack_workflow": "true", "n": 3}, "created_time": "2026-11-22 10:00:00 UTC", "power_state": "Running", "vm_size": "Standard_D2s_v3"}"#).unwrap();
        assert_eq!(
            d.tags.get("amplihack_workflow").map(String::as_str),
            Some("true")
        );
        assert!(!d.tags.contains_key("n"));
        assert_eq!(d.created_time.as_deref(), Some("2026-11-22 10:00:00 UTC"));
        assert!(parse_show(b"[]").is_err());
        assert!(parse_show(b"{\"tags\": {}}").is_err());
        assert!(parse_show(b"Error: VM 'x' not found").is_err());
        assert_eq!(parse_show(br#"{"vm": {"name": "w"}}"#).unwrap().name, "w");
    }

    #[test]
    fn power_states() {
        assert!(is_running(Some("Running")));
        assert!(is_running(Some("VM running")));
        assert!(is_running(Some(" running ")));
        assert!(!is_running(Some("Stopped")));
        assert!(!is_running(Some("Deallocated")));
        assert!(!is_running(None));
    }

    #[test]
    fn status_is_strict() {
        let s = parse_status(br#"{"exit": 3, "timed_out": false, "bundle": true, "logs": false}"#)
            .unwrap();
        assert_eq!(s.exit, 3);
        assert!(parse_status(br#"{"exit": 3}"#).is_err());
        assert!(parse_status(
            br#"{"exit": 0, "timed_out": false, "bundle": true, "logs": false, "x": 1}"#
        )
        .is_err());
        assert!(parse_status(b"\xff").is_err());
    }
}
