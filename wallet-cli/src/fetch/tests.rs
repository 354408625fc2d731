use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;

use super::*;

fn fetcher() -> Fetcher {
    Fetcher::with_timeouts(
        true,
        &ExtraRoots::default(),
        Duration::from_secs(2),
        Duration::from_secs(2),
    )
    .unwrap()
}

fn network_reason(result: Result<Response, FetchError>) -> String {
    match result {
        Err(FetchError::Network { reason, .. }) => reason,
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[test]
fn a_refused_connection_says_so() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let reason = network_reason(fetcher().get(&format!("http://127.0.0.1:{port}/"), "*/*"));
    assert!(reason.starts_with("connection refused"), "{reason}");
}

#[test]
fn a_server_that_never_answers_is_a_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts, reads nothing, answers nothing, until the test is over.
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(10));
        drop(held);
    });
    let reason = network_reason(fetcher().get(&format!("http://127.0.0.1:{port}/"), "*/*"));
    assert!(reason.starts_with("timed out"), "{reason}");
}

#[test]
fn an_untrusted_certificate_is_a_tls_failure() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.key_pair.serialize_der()).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { continue };
            let connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, stream);
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let reason = network_reason(fetcher().get(&format!("https://127.0.0.1:{port}/"), "*/*"));
    assert!(reason.starts_with("TLS"), "{reason}");
    assert!(reason.contains("certificate"), "{reason}");
}

fn strict() -> Fetcher {
    Fetcher::with_timeouts(
        false,
        &ExtraRoots::default(),
        Duration::from_secs(2),
        Duration::from_secs(2),
    )
    .unwrap()
}

/// Serves each connection on 127.0.0.1 with `answer` (after reading the request head), up to
/// `count` connections; returns the port.
fn serve_plain(answer: String, count: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let Ok(mut stream) = stream else { continue };
            read_head(&mut stream);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    port
}

fn read_head(stream: &mut impl std::io::Read) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") && seen.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => break,
        }
    }
}

fn ok_answer(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Plain http with --allow-private-network: non-public destinations only, decided before any
/// connection (pure: no address here is contacted).
#[test]
fn plain_http_goes_only_to_non_public_destinations() {
    let url = |u: &str| Url::parse(u).unwrap();
    for public in ["http://8.8.8.8/list", "http://[2606:4700::1111]/list"] {
        match plain_http_destination(&url(public)) {
            Err(e @ FetchError::PublicHttp { .. }) => {
                let text = e.to_string();
                assert!(text.contains("is a public address"), "{text}");
                assert!(
                    text.contains("plain http is allowed only to loopback and private"),
                    "{text}"
                );
            }
            other => panic!("{public}: {other:?}"),
        }
    }
    for private in [
        "http://127.0.0.1:8080/",
        "http://10.1.2.3/",
        "http://192.168.1.20/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://printer.local/",
        "http://localhost:9000/",
    ] {
        assert!(!plain_http_destination(&url(private)).unwrap(), "{private}");
    }
    // A name: allowed, its public addresses then dropped.
    assert!(plain_http_destination(&url("http://intranet.example.com/")).unwrap());
    let public: IpAddr = "8.8.8.8".parse().unwrap();
    let private: IpAddr = "10.0.0.7".parse().unwrap();
    assert_eq!(
        keep_for_plain_http("intranet.example.com", vec![public, private]).unwrap(),
        vec![private]
    );
    assert!(matches!(
        keep_for_plain_http("www.example.com", vec![public]),
        Err(FetchError::PublicHttp { reason, .. }) if reason.contains("resolves to 8.8.8.8")
    ));
    // The fetcher refuses a public literal before any connection (`get` returns before
    // `fetch`).
    let fetcher = fetcher();
    assert!(matches!(
        fetcher.get("http://8.8.8.8/list", "*/*"),
        Err(FetchError::PublicHttp { .. })
    ));
    // https to a public address is not affected by the http rule.
    assert!(admit_plain_http(&url("https://8.8.8.8/"), &fetcher.http_names).is_ok());
}

/// The loopback path stays open: plain http on 127.0.0.1 with --allow-private-network.
#[test]
fn plain_http_to_loopback_is_fetched_with_allow_private_network() {
    let port = serve_plain(ok_answer("{\"ok\":true}"), 1);
    let response = fetcher()
        .get(&format!("http://127.0.0.1:{port}/list"), "*/*")
        .unwrap();
    assert_eq!(response.body, b"{\"ok\":true}");
}

/// A redirect is checked by the policy before it is followed: from a link the learner typed
/// (loopback, allowed) to a private address or a local name, refused before any connection.
#[test]
fn a_redirect_to_a_non_public_address_is_refused() {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737), never routed; refused before any connect anyway.
    for target in [
        "https://192.0.2.1/x",
        "https://printer.local/x",
        "https://10.0.0.1/x",
        "https://[::ffff:192.168.1.1]/x",
    ] {
        let port = serve_plain(
            format!(
                "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            ),
            1,
        );
        match strict().get_typed(&format!("http://127.0.0.1:{port}/claim"), "*/*") {
            Err(FetchError::Refused(e)) => {
                let text = e.to_string();
                assert!(text.contains("not a public"), "{target}: {text}");
            }
            other => panic!("{target}: {other:?}"),
        }
    }
}

/// A name that resolves to loopback is refused without --allow-private-network: the resolver
/// checks what the lookup returned (here the lookup of a name that is an address, so no DNS
/// server is asked), and the `localhost` names are refused before any lookup.
#[test]
fn a_name_resolving_to_loopback_is_refused_without_allow_private_network() {
    let resolver = GuardedResolver {
        policy: AddressPolicy::default(),
        http_names: HttpNames::default(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for name in ["127.0.0.1", "::1"] {
        let resolving = resolver.resolve(name.parse::<Name>().unwrap());
        let error = match runtime.block_on(resolving) {
            Ok(addrs) => panic!("{name}: resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let refusal = error
            .downcast_ref::<PolicyError>()
            .expect("a policy refusal");
        assert!(
            refusal.address().is_some_and(address_policy::is_loopback),
            "{refusal}"
        );
    }
    // With the flag, the same lookup is allowed.
    let open = GuardedResolver {
        policy: AddressPolicy {
            allow_private_network: true,
            ..AddressPolicy::default()
        },
        http_names: HttpNames::default(),
    };
    let addrs: Vec<_> = runtime
        .block_on(open.resolve("127.0.0.1".parse::<Name>().unwrap()))
        .unwrap()
        .collect();
    assert_eq!(addrs[0].ip(), IpAddr::from([127, 0, 0, 1]));
    for url in ["https://localhost:8443/did.json", "https://localhost./x"] {
        assert!(matches!(
            strict().get(url, "*/*"),
            Err(FetchError::Refused(PolicyError::PrivateName { .. }))
        ));
    }
}

/// A local development CA: a leaf for 127.0.0.1 and localhost signed by it, and its PEM.
fn local_ca() -> (String, Arc<rustls::ServerConfig>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Passerelle test CA");
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .unwrap();
    (ca.pem(), Arc::new(config))
}

fn serve_tls(config: Arc<rustls::ServerConfig>, body: &'static str, count: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(count) {
            let Ok(stream) = stream else { continue };
            let connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, stream);
            read_head(&mut tls);
            let _ = tls.write_all(ok_answer(body).as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    port
}

fn roots_fetcher(roots: &ExtraRoots) -> Fetcher {
    Fetcher::with_timeouts(true, roots, Duration::from_secs(2), Duration::from_secs(2)).unwrap()
}

/// Issue 12 point 1: a server certified by a local CA is refused (TLS, naming the problem)
/// until the CA is trusted with --ca-cert or $SSL_CERT_FILE.
#[test]
fn a_local_ca_is_trusted_with_ca_cert_or_ssl_cert_file() {
    let (ca_pem, config) = local_ca();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let port = serve_tls(config, "{\"claimed\":1}", 3);
    let url = format!("https://127.0.0.1:{port}/claim/x");

    let reason = network_reason(roots_fetcher(&ExtraRoots::default()).get(&url, "*/*"));
    assert!(reason.starts_with("TLS"), "{reason}");
    assert!(reason.contains("UnknownIssuer"), "{reason}");

    let given = ExtraRoots::load(std::slice::from_ref(&ca_file), None).unwrap();
    let body = roots_fetcher(&given).get(&url, "*/*").unwrap().body;
    assert_eq!(body, b"{\"claimed\":1}");

    let from_env = ExtraRoots::load(&[], Some(ca_file.clone())).unwrap();
    assert_eq!(from_env.files, vec![ca_file.clone()]);
    let body = roots_fetcher(&from_env).get(&url, "*/*").unwrap().body;
    assert_eq!(body, b"{\"claimed\":1}");

    // --ca-cert wins over $SSL_CERT_FILE.
    let other = dir.path().join("other.pem");
    std::fs::write(&other, &ca_pem).unwrap();
    let both = ExtraRoots::load(std::slice::from_ref(&ca_file), Some(other)).unwrap();
    assert_eq!(both.files, vec![ca_file]);
}

#[test]
fn a_bad_ca_file_is_named_with_its_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no PEM here\n").unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    for (path, problem) in [
        (&missing, "cannot be read"),
        (&empty, "holds no certificate"),
        (&garbage, "not usable as a root"),
        (&dir.path().to_owned(), "not a regular file"),
    ] {
        for from_env in [false, true] {
            let result = if from_env {
                ExtraRoots::load(&[], Some(path.clone()))
            } else {
                ExtraRoots::load(std::slice::from_ref(path), None)
            };
            let text = result.unwrap_err().to_string();
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(text.contains(problem), "{text}");
            assert!(
                text.contains(if from_env {
                    "$SSL_CERT_FILE"
                } else {
                    "--ca-cert"
                }),
                "{text}"
            );
        }
    }
}

/// A POST never follows a redirect (a 307 would resend the code or the token it carries): the
/// 3xx answer comes back as it is, with its body, like any status.
#[test]
fn a_post_returns_a_redirect_unfollowed_and_an_error_status_with_its_body() {
    let nowhere = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let port = serve_plain(
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{nowhere}/token\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        1,
    );
    let url = format!("http://127.0.0.1:{port}/token");
    let fields = [("grant_type", "x"), ("code", "a b&c")];
    let answer = fetcher()
        .post(Post {
            url: &url,
            accept: "application/json",
            body: PostBody::Form(&fields),
            bearer: Some("token"),
        })
        .unwrap();
    assert_eq!(answer.status, 307);

    let body = r#"{"error":"invalid_grant"}"#;
    let port = serve_plain(
        format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
             WWW-Authenticate: Bearer error=\"invalid_token\"\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
        1,
    );
    let answer = fetcher()
        .post(Post {
            url: &format!("http://127.0.0.1:{port}/credential"),
            accept: "application/json",
            body: PostBody::Json(&serde_json::json!({"a": 1})),
            bearer: None,
        })
        .unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body, body.as_bytes());
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        answer.www_authenticate.as_deref(),
        Some("Bearer error=\"invalid_token\"")
    );
    // The policy applies to POSTs too, before any connection.
    assert!(matches!(
        strict().post(Post {
            url: "https://10.0.0.1/token",
            accept: "*/*",
            body: PostBody::Empty,
            bearer: None,
        }),
        Err(FetchError::Refused(_))
    ));
    // The bearer token never shows in a debug print.
    let printed = format!(
        "{:?}",
        Post {
            url: "https://a.example/",
            accept: "*/*",
            body: PostBody::Form(&fields),
            bearer: Some("s3cret-token"),
        }
    );
    assert!(
        !printed.contains("s3cret") && !printed.contains("a b&c"),
        "{printed}"
    );
}
