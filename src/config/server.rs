//! `[pbx] server`: what a technician may write (`10.1.2.3`, `mivb.local:4443`, `[fd00::5]:443`,
//! `https://mivb.local`), checked when the configuration is read, so that a value that can never
//! work is a configuration error with a caret, not "PBX unreachable" at run time.

/// Why a `server` value is refused; `None` when it is usable.
pub(crate) fn problem(server: &str, allow_plain_http: bool) -> Option<String> {
    let server = server.trim();
    if server.is_empty() {
        return Some("give the IP address or DNS name of the MiVB".into());
    }
    let (scheme, written_scheme) = match server.split_once("://") {
        Some((scheme, _)) => (scheme.to_ascii_lowercase(), true),
        None => ("https".to_owned(), false),
    };
    let text = if written_scheme {
        server.to_owned()
    } else {
        format!("https://{server}")
    };
    let url = match url::Url::parse(&text) {
        Ok(url) => url,
        Err(error) => {
            return Some(format!(
                "this is not an address hotelcare can connect to ({error}); write `host`, `host:port`, `[IPv6]:port` or `https://host:port`"
            ));
        }
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Some(
            "`server` must not carry a user name or password; give them as `user` and `password_env` (the value is not shown here)"
                .into(),
        );
    }
    match scheme.as_str() {
        "https" => {}
        "http" if allow_plain_http => {}
        "http" => {
            return Some(
                "plain HTTP would send the MiXML password unencrypted; use https, or set `allow_plain_http = true` in [pbx] (only for `hotelcare sim --plain`)"
                    .into(),
            );
        }
        other => {
            return Some(format!(
                "`{other}://` is not a scheme hotelcare speaks; write `host`, `host:port` or `https://host:port`"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some("the address has no host".into());
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Some(
            "give only the host and port: hotelcare adds the MiXML path itself (remove everything after the port)"
                .into(),
        );
    }
    None
}

/// `text` with the user information of a `scheme://user:password@host` in it replaced by `*`
/// of the same byte length, so that a configuration frame never shows a password and every
/// span into the text stays where it was.
pub(crate) fn mask_user_info(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + 3;
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_end = rest
            .find(['/', '"', '\'', '\n', ' ', '?', '#'])
            .unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            for c in rest[..at].chars() {
                out.extend(std::iter::repeat_n('*', c.len_utf8()));
            }
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_addresses() {
        for server in [
            "10.1.2.3",
            "mivb.hotel.example",
            "mivb.local:4443",
            "[fd00::5]:443",
            "https://mivb.local",
            "https://mivb.local:4443/",
            "HTTPS://10.0.0.1",
        ] {
            assert_eq!(problem(server, false), None, "{server}");
        }
        assert_eq!(problem("http://127.0.0.1:8080", true), None);
    }

    #[test]
    fn addresses_that_can_never_work() {
        for (server, says) in [
            ("10.1.2.3:99999", "not an address"),
            ("10.1.2.3:x", "not an address"),
            ("ftp://mivb.local", "`ftp://` is not a scheme"),
            ("[::1", "not an address"),
            ("127.0.0.1:9/x?y#z", "only the host and port"),
            ("http://127.0.0.1:8080", "plain HTTP"),
            ("https://admin:secretpw@mivb.local", "user name or password"),
            ("   ", "IP address or DNS name"),
        ] {
            let problem = problem(server, false).unwrap_or_else(|| panic!("{server} accepted"));
            assert!(problem.contains(says), "{server}: {problem}");
            assert!(!problem.contains("secretpw"), "{problem}");
        }
    }

    #[test]
    fn user_info_is_masked_with_the_same_length() {
        let text = "server = \"https://admin:secretpw@host\"\nuser = \"x\"\n";
        let masked = mask_user_info(text);
        assert_eq!(masked.len(), text.len());
        assert!(
            !masked.contains("secretpw") && !masked.contains("admin"),
            "{masked}"
        );
        assert!(masked.contains("https://**************@host"), "{masked}");
        assert_eq!(
            mask_user_info("a = \"https://host/x\""),
            "a = \"https://host/x\""
        );
    }
}

/// What is wrong with `server` for the Mitel PMS interface: it must be `host:port` (the port is
/// site configuration: Mitel does not publish it), nothing else.
pub(crate) fn pms_problem(server: &str) -> Option<String> {
    let server = server.trim();
    if server.contains("://") || server.contains('/') || server.contains('@') {
        return Some(
            "the Mitel PMS interface is a plain TCP link: write `host:port`, without a scheme, a path or credentials"
                .to_owned(),
        );
    }
    let Some((host, port)) = server.rsplit_once(':') else {
        return Some(
            "give the port too (`host:port`): the PBX's PMS port is site configuration; ask the PBX technician"
                .to_owned(),
        );
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Some("the host before `:` is empty or has blanks".to_owned());
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => None,
        _ => Some(format!("`{port}` is not a TCP port (1 to 65535)")),
    }
}

#[cfg(test)]
mod pms_tests {
    use super::pms_problem;

    #[test]
    fn a_pms_server_is_host_and_port() {
        assert_eq!(pms_problem("10.1.2.3:6830"), None);
        assert_eq!(pms_problem("[::1]:6830"), None);
        assert_eq!(pms_problem("pbx.hotel.local:5001"), None);
        assert!(pms_problem("10.1.2.3").unwrap().contains("port"));
        assert!(pms_problem("tcp://10.1.2.3:1").unwrap().contains("scheme"));
        assert!(pms_problem("10.1.2.3:0").is_some());
        assert!(pms_problem("10.1.2.3:99999").is_some());
    }
}
