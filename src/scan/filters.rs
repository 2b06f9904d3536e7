//! Precision filters shared by every rule: public sample keys, placeholders, entropy.

/// Prefixes of public sample values that appear in documentation and emulators and are never
/// secrets: the Azurite / Azure Storage Emulator account key (documented by Microsoft).
const KNOWN_SAMPLE_PREFIXES: &[&[u8]] = &[b"Eby8vdM02xNOcqFl"];

/// True for a documentation sample: AWS's documented keys end in `EXAMPLE` or `EXAMPLEKEY`,
/// and the storage emulator key is public.
pub fn is_known_sample(secret: &[u8]) -> bool {
    contains(secret, b"EXAMPLE") || KNOWN_SAMPLE_PREFIXES.iter().any(|p| contains(secret, p))
}

/// Words that mark a value as a stand-in, matched ASCII case-insensitively.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"xxxx",
    b"****",
    b"....",
    b"changeme",
    b"change_me",
    b"change-me",
    b"redacted",
    b"placeholder",
    b"your_",
    b"your-",
    b"yourkey",
    b"yourtoken",
    b"yourpassword",
    b"insert_",
    b"insert-",
    b"replace_me",
    b"replaceme",
    b"dummy",
    b"fakekey",
    b"fake_",
    b"notasecret",
    b"not_a_secret",
    b"not-a-secret",
];

/// True when the value is a template or stand-in rather than a credential: `${VAR}`,
/// `{{ x }}`, `%VAR%`, `<your-key>`, `$VAR`, the words above, or a run of 8 or more identical
/// or sequential characters (`aaaaaaaa`, `12345678`, `abcdefgh`).
pub fn is_placeholder(secret: &[u8]) -> bool {
    if secret.is_empty() {
        return true;
    }
    if contains(secret, b"${") || contains(secret, b"{{") || contains(secret, b"}}") {
        return true;
    }
    if secret.len() >= 3 && secret[0] == b'%' && secret[secret.len() - 1] == b'%' {
        return true;
    }
    if secret[0] == b'<' && secret[secret.len() - 1] == b'>' {
        return true;
    }
    if secret[0] == b'$'
        && secret[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        return true;
    }
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|w| contains(&lower, w)) {
        return true;
    }
    has_monotone_run(secret, 8)
}

/// True when a generic (low-confidence) value is code rather than a literal: a call
/// (`load(path)`), attribute access or a module path (`config.password`, `os.environ`), a
/// variable reference (`$PASSWORD`, `@password`, `%(pw)s`), a file path (`/run/secrets/db`,
/// `./key.pem`, `C:\keys`), a URL without credentials, or a plain identifier
/// (`userPasswordInput`, `DB_PASSWORD`, `oauth2_client_secret`).
pub fn is_code_like(value: &[u8]) -> bool {
    let Some(&first) = value.first() else {
        return true;
    };
    if b"$@%&*".contains(&first) && value.len() > 1 {
        return value[1..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"_{}().".contains(&b));
    }
    if value.contains(&b'(') && value.ends_with(b")") {
        return true;
    }
    if first == b'/'
        || value.starts_with(b"./")
        || value.starts_with(b"../")
        || value.starts_with(b"~/")
    {
        return true;
    }
    if value.len() > 2
        && value[0].is_ascii_alphabetic()
        && value[1] == b':'
        && b"\\/".contains(&value[2])
    {
        return true;
    }
    if let Some(p) = memchr::memmem::find(value, b"://") {
        // A URL is code-like unless it carries user:password@.
        let rest = &value[p + 3..];
        let authority = &rest[..rest.iter().position(|&b| b == b'/').unwrap_or(rest.len())];
        return !authority.contains(&b'@');
    }
    let is_ident = |part: &[u8]| {
        !part.is_empty()
            && (part[0].is_ascii_alphabetic() || part[0] == b'_')
            && part.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    };
    // Dotted identifiers (attribute access, module paths): every part an identifier, and
    // the whole reads as words (mostly letters), not base64 that happens to contain a dot.
    if value.contains(&b'.') && value.split(|&b| b == b'.').all(is_ident) {
        return true;
    }
    // A snake_case, SCREAMING_CASE or camelCase identifier: words, few digits.
    if is_ident(value) && value.contains(&b'_') {
        let digits = value.iter().filter(|b| b.is_ascii_digit()).count();
        let words = value
            .split(|&b| b == b'_')
            .filter(|w| w.iter().any(u8::is_ascii_alphabetic));
        if digits <= 2 && words.clone().count() >= 2 && words.clone().all(|w| w.len() >= 2) {
            return true;
        }
    }
    false
}

/// A run of `n` characters each equal to, one more than, or one less than the previous by
/// the same step (0, +1 or -1).
fn has_monotone_run(s: &[u8], n: usize) -> bool {
    if s.len() < n {
        return false;
    }
    for step in [0i16, 1, -1] {
        let mut run = 1;
        for w in s.windows(2) {
            if w[0].is_ascii_alphanumeric() && i16::from(w[1]) - i16::from(w[0]) == step {
                run += 1;
                if run >= n {
                    return true;
                }
            } else {
                run = 1;
            }
        }
    }
    false
}

/// Shannon entropy of the bytes, in bits per byte.
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "${ANTHROPIC_API_KEY}",
            "{{ secrets.GITHUB_TOKEN }}",
            "%API_KEY%",
            "<your-api-key>",
            "$API_KEY",
            "sk-ant-xxxxxxxxxxxx",
            "changeme",
            "REDACTED",
            "AKIA0000000000000000",
            "abcdefghijkl",
            "pass12345678",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p} should be a placeholder");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for s in [
            "Xk9vQ2mR7pLwTz4",
            "ghp_R8fK2mQx9LbW3nTz5vYc1HdJ6sPa0eUg7Kq",
            "wJ4rZ8/tQk+Lm2",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s} is not a placeholder");
        }
    }

    #[test]
    fn code_is_recognised() {
        for c in [
            "load(path)",
            "config.password",
            "os.environ",
            "$PASSWORD",
            "@password",
            "/run/secrets/db_password",
            "./certs/key.pem",
            "C:\\keys\\id",
            "https://login.contoso.net/oauth2/token",
            "DB_PASSWORD",
            "oauth2_client_secret",
            "ACCESS_TOKEN_1",
        ] {
            assert!(is_code_like(c.as_bytes()), "{c} is code");
        }
    }

    #[test]
    fn literals_are_not_code() {
        for s in [
            "hunter2!x",
            "eBGix5iq6mjH",
            "Em8L08*f8jVp.5mpbj6",
            "postgres://app:Sx9kq2@db/orders",
            "a1b2_c3d4_e5f6_g7h8",
            "WKnn@Fcm*HTr6ELW9m",
        ] {
            assert!(!is_code_like(s.as_bytes()), "{s} is a literal");
        }
    }

    #[test]
    fn samples_are_known() {
        assert!(is_known_sample(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_known_sample(
            b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
        ));
        assert!(!is_known_sample(b"AKIAQ7RZ4MXN2PLWK3VD")); // amplihack-remote:allow
    }

    #[test]
    fn entropy_orders_values() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"ab") - 1.0).abs() < 1e-9);
        assert!(shannon_entropy(b"Xk9vQ2mR7pLwTz4") > 3.5);
    }
}
