//! Credentials where they actually sit (issue 16's recall list): command lines in scripts, CI,
//! Makefiles, docs and notebooks; Python calls, dicts, environment defaults and parenthesised
//! strings; SQL user statements; connection strings and URLs; YAML block scalars; Kubernetes
//! Secrets; Terraform, Ansible and application config files. Each positive line must give its
//! rule, each negative no secret finding. Every value is made up for this test.

use crate::harness::{run_json, Project};

#[test]
fn credentials_where_they_sit() {
    let positives: &[(&str, &str, &str)] = &[
        ("deploy.sh", "mysql -h db -u root -pK8Mom1BbDkYy6Ha ledger", "generic-mysql-cli-password"),
        ("deploy.sh", "export PGPASSWORD=w1LJeUVa3YTKxQFm", "generic-password"),
        ("deploy.sh", "sshpass -p 'Zq8rT2vLx9KpW4m' ssh deploy@build", "generic-sshpass"),
        ("Makefile", "\tmycli --password=Kq7Lz2Xv9RkP4mWn ledger", "generic-password"),
        (".gitlab-ci.yml", "  - twine upload --password Kq7Lz2Xv9RkP4mWn dist/*", "generic-cli-password"),
        (".github/workflows/ci.yml", "      run: docker login -u bot -p Hq7Lz2Xv9RkP4mWn ghcr.io", "generic-registry-login-password"),
        ("README.md", "curl -H 'Authorization: token Gx7Lz2Xv9RkP4mWn8bYc' https://api.ledgerline.io", "generic-authorization-header"),
        ("Dockerfile", "ENV DB_PASSWORD Tq7Lz2Xv9RkP4mWn", "generic-dockerfile-env-secret"),
        ("app.py", "conn = connect(host=\"db\", password=\"Tq7Lz2Xv9RkP4mWn\")", "generic-password"),
        ("app.py", "client = Client(api_key=\"Aq7Lz2Xv9RkP4mWn8bYc\")", "generic-api-key"),
        ("app.py", "cfg = {\"password\": \"Dq7Lz2Xv9RkP4mWn\"}", "generic-password"),
        ("app.py", "os.environ.setdefault(\"DB_PASSWORD\", \"Fq7Lz2Xv9RkP4mWn\")", "generic-env-default"),
        ("app.py", "SMTP_PASSWORD = (\"Hq7Lz2Xv9R\" \"kP4mWn\")", "generic-password"),
        ("app.py", "cur.execute(\"CREATE USER app WITH PASSWORD 'Iq7Lz2Xv9RkP4mWn'\")", "generic-sql-password"),
        ("init.sql", "CREATE USER 'app'@'%' IDENTIFIED BY 'Jq7Lz2Xv9RkP4mWn';", "generic-sql-password"),
        ("app.py", "CONN = \"Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd=Kq7Lz2Xv9RkP4mWn;\"", "generic-connection-string-password"),
        ("app.py", "JDBC = \"jdbc:postgresql://db:5432/app?user=svc&password=Mq7Lz2Xv9RkP4mWn\"", "generic-password"),
        ("app.py", "R = \"redis://:Nq7Lz2Xv9RkP4mWn@cache.ledgerline.io:6379/0\"", "redis-url"),
        ("app.py", "M = \"mongodb+srv://svc:Oq7Lz2Xv9RkP4mWn@cluster0.ab1cd.mongodb.net/db\"", "mongodb-url"),
        ("app.py", "A = \"amqp://svc:Pq7Lz2Xv9RkP4mWn@mq.ledgerline.io:5672/\"", "amqp-url"),
        ("app.py", "F = \"ftp://svc:Qq7Lz2Xv9RkP4mWn@files.ledgerline.io/\"", "basic-auth-url"),
        ("values.yaml", "db:\n  password: |\n    Tq7Lz2Xv9RkP4mWn\n", "generic-yaml-block-secret"),
        ("settings.py", "API_KEY = (\n    \"Aq7Lz2Xv9R\"  # split for line length\n    \"kP4mWn8bYc\"\n)\n", "generic-api-key"),
        ("settings.py", "DB_PASSWORD = (\n    \"Hq7Lz2Xv9RkP4mWn\"\n)\n", "generic-password"),
        ("values.yaml", "db:\n  password: \"Tq7Lz2Xv9R\\\n    kP4mWn\"\n", "generic-password"),
        ("prod.tfvars", "db_password = \"Vq7Lz2Xv9RkP4mWn\"", "generic-password"),
        ("main.tf", "provider \"aws\" {\n  secret_key = \"Wq7Lz2Xv9RkP4mWn8bYcWq7Lz2Xv9RkP4mWn8bYc\"\n}", "generic-api-key"),
        ("group_vars/all.yml", "ansible_become_password: \"Bq8Lz2Xv9RkP4mWn\"", "generic-password"),
        ("wp-config.php", "define( 'DB_PASSWORD', 'Xq7Lz2Xv9RkP4mWn' );", "wordpress-config-secret"),
        (".ftpconfig", "{\"host\": \"h\", \"user\": \"u\", \"pass\": \"Zq7Lz2Xv9RkP4mWn\"}", "ftp-deploy-config-password"),
        ("notebook.ipynb", "{\"cells\": [{\"source\": [\n  \"!sshpass -p Zq8rT2vLx9KpW4m ssh deploy@build\\n\"\n]}]}", "generic-sshpass"),
        ("k8s/secret.yaml", "apiVersion: v1\nkind: Secret\ndata:\n  DB_PASSWORD: UnE3THoyWHY5UmtQNG1Xbg==\n", "generic-password"),
        ("k8s/secret.json", "{\n  \"kind\": \"Secret\",\n  \"data\": {\n    \"tls.id\": \"QUtJQVFZTEZOM0M3SlRMTjVXUUU=\"\n  }\n}\n", "aws-access-key"),
        ("k8s/all.json", "{\"kind\": \"List\", \"items\": [{\"kind\": \"Secret\", \"data\": {\"aws\": \"QUtJQVFZTEZOM0M3SlRMTjVXUUU=\"}}]}", "aws-access-key"),
        ("k8s/all.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  data:\n    aws: QUtJQVFZTEZOM0M3SlRMTjVXUUU=\n", "aws-access-key"),
        ("config.yaml", "api_token: dHE3THoyWHY5UmtQNG1XbjhiWWM=", "generic-api-key"),
        ("config/secrets.yml", "production:\n  secret_key_base: 6f1c0a5b9e2d7f4a3c8b1e0d9f6a2c7b5e4d3a1f0c9b8e7d6a5f4c3b2a1e0d9f\n", "rails-secret-key-base"),
        ("config/WinSCP.ini", "[Sessions\\deploy@files]\r\nHostName=files.ledgerline.io\r\nPassword=A35C7B2D19E4F08A6C3B5D2E7F91A04C\r\n", "winscp-saved-password"),
        (".dbeaver/data-sources.json", "{\"connections\": {\"pg\": {\"configuration\": {\"host\": \"db\", \"user\": \"u\", \"password\": \"Kq7Lz2Xv9RkP4mWn\"}}}}", "dbeaver-saved-password"),
        ("ws/.dbeaver/data-sources-2.json", "{\"auth-properties\": {\"userName\": \"u\", \"userPassword\": \"Lz2Xv9RkP4mWnQ7\"}}", "dbeaver-saved-password"),
        (".dbeaver-data-sources.xml", "<data-source id=\"x\">\n  <connection host=\"db\" user=\"u\" password=\"Mx8Rq2Lv7Tn4\" save-password=\"true\"/>\n</data-source>\n", "dbeaver-saved-password"),
        ("home/.3T/robo-3t/1.4.4/robo3t.json", "{\"connections\": [{\"credentials\": [{\"userName\": \"ops\", \"userPassword\": \"Nq7Lz2Xv9RkP4mWn\"}]}]}", "robo3t-saved-password"),
        ("robomongo.json", "{\"connections\": [{\"sshUserPassword\": \"Pz2Xv9RkP4mWnQ7\"}]}", "robo3t-saved-password"),
        ("recentservers.xml", "<Server><Host>h</Host><User>u</User><Pass encoding=\"base64\">WnE3THoyWHY5UmtQNG1Xbg==</Pass></Server>", "filezilla-password"),
        ("settings.py", "SERVICE_TOKEN = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MjQyIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua\"", "jwt"),
    ];
    let negatives: &[(&str, &str)] = &[
        ("deploy.sh", "mysql -u root -p\"$MYSQL_PASSWORD\" ledger"),
        ("deploy.sh", "sshpass -e ssh deploy@build"),
        (
            "deploy.sh",
            "echo \"$TOKEN\" | docker login -u bot --password-stdin ghcr.io",
        ),
        (
            "app.py",
            "conn = connect(host=\"db\", password=db_password)",
        ),
        (
            "app.py",
            "os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"ledger.settings\")",
        ),
        (
            "app.py",
            "cur.execute(\"CREATE USER app WITH PASSWORD %s\", (pw,))",
        ),
        (
            "app.py",
            "CONN = f\"Driver={{ODBC}};Server={host};Uid=sa;Pwd={password};\"",
        ),
        (
            "values.yaml",
            "db:\n  password: |\n    {{ .Values.password }}\n",
        ),
        ("settings.py", "API_KEY = (\n    \"Aq7Lz2Xv9R\"\n    \"-changeme\"\n)\n"),
        ("settings.py", "API_KEY = (\n    \"Aq7Lz2Xv9R\"\n    + os.environ[\"SUFFIX\"]\n)\n"),
        ("values.yaml", "db:\n  password: \"Tq7Lz2Xv9R\n    {{ .Values.suffix }}\"\n"),
        ("values.yaml", "db:\n  api_token: |\n    Tq7Lz2Xv9R\n    kP4mWn\n"),
        ("Dockerfile", "ARG NPM_TOKEN"),
        (
            "k8s/secret.yaml",
            "kind: Secret\ndata:\n  DB_PASSWORD: cGFzc3dvcmQ=\n",
        ),
        ("config.yaml", "api_token: dGhpcy1pcy1hLXRva2VuLXZhbHVl"),
        ("k8s/config.yaml", "kind: ConfigMap\ndata:\n  aws: QUtJQVFZTEZOM0M3SlRMTjVXUUU=\n"),
        ("k8s/all.yaml", "kind: List\nitems:\n- kind: ConfigMap\n  data:\n    aws: QUtJQVFZTEZOM0M3SlRMTjVXUUU=\n- kind: Secret\n  data:\n    DB_PASSWORD: cGFzc3dvcmQ=\n"),
        ("k8s/all.json", "{\"kind\": \"List\", \"items\": [{\"kind\": \"ConfigMap\", \"data\": {\"aws\": \"QUtJQVFZTEZOM0M3SlRMTjVXUUU=\"}}, {\"kind\": \"Secret\", \"data\": {\"DB_PASSWORD\": \"cGFzc3dvcmQ=\"}}]}"),
        (".dbeaver/data-sources.json", "{\"configuration\": {\"user\": \"u\", \"password\": \"\"}, \"handlers\": {\"ssh_tunnel\": {\"save-password\": true}}}"),
        ("WinSCP.ini", "[Sessions\\deploy@files]\nPassword=\n[Configuration\\Security]\nUseMasterPassword=1\n"),
        (".dbeaver-data-sources.xml", "<connection host=\"db\" user=\"root\" password=\"password\" save-password=\"true\"/>"),
        ("robo3t.json", "{\"credentials\": [{\"userName\": \"\", \"userPassword\": \"\"}], \"ssh\": {\"userPassword\": \"${SSH_PASSWORD}\", \"passphrase\": \"changeme\"}}"),
        ("cursor.py", "cursor = \"eyJ0eXAiOiJKV1QifQ.eyJwYWdlIjoiNDI0MjQyIiwic2l6ZSI6IjUwIn0.q8rT2vLx9KpW4mNc7Yb3Hd6Jf1Gs5Ua\""),
    ];
    let project = Project::new();
    for (i, (path, text, _)) in positives.iter().enumerate() {
        project.write(&format!("pos{i}/{path}"), text);
    }
    for (i, (path, text)) in negatives.iter().enumerate() {
        project.write(&format!("neg{i}/{path}"), text);
    }
    let (_, report) = run_json(project.keyward().args(["scan", ".", "--format", "json"]));
    let secrets: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "secret")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (i, (path, text, rule)) in positives.iter().enumerate() {
        let file = format!("pos{i}/{path}");
        assert!(
            secrets.iter().any(|(p, r)| *p == file && r == rule),
            "{file}: {text:?} should give {rule}; secret findings: {secrets:?}"
        );
    }
    for (i, (path, text)) in negatives.iter().enumerate() {
        let file = format!("neg{i}/{path}");
        assert!(
            !secrets.iter().any(|(p, _)| *p == file),
            "{file}: {text:?} gave {secrets:?}"
        );
    }
}

// regression: the string-prefix letters of Python (`b"…"`, `f"…"`) were taken off an unquoted
// value that starts with b, r, u or f (`fq7L…` reported as `q7L…`, a different fingerprint).
#[test]
fn an_unquoted_value_keeps_its_first_letter() {
    let project = Project::new();
    project.write("config.yaml", "DB_PASSWORD: fq7Lz2Xv9RkP4mWn\n");
    let (_, report) = run_json(project.keyward().args(["scan", ".", "--format", "json"]));
    let secrets: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(secrets, vec!["fq7L…(16)"]);
}

/// The secret findings of one file written with `text`, as (rule, line).
fn secrets_in(path: &str, text: &str) -> Vec<(String, u64)> {
    let project = Project::new();
    project.write(path, text);
    let (_, report) = run_json(project.keyward().args(["scan", ".", "--format", "json"]));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "secret")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

// regression: `private_key: "_RSAPrivateKey"` (a string annotation in a Python signature) was
// reported as a hard-coded key.
#[test]
fn a_quoted_type_name_after_an_annotation_colon_is_not_a_value() {
    let annotations = "def load(private_key: \"_RSAPrivateKey\", token: \"Optional[str]\") -> None:\n    password: \"SecretStr\"\n    api_key: 'HTTPBasicAuth' = field()\n";
    assert_eq!(secrets_in("crypto/keys.py", annotations), vec![]);
    assert_eq!(
        secrets_in(
            "src/client.ts",
            "function f(private_key: \"_RSAPrivateKey\") {}\n"
        ),
        vec![]
    );
    // The rule stays narrow: the same text in YAML, after `=`, as a dict key's value, or a
    // value that is not a type name is still judged as a value.
    let api_key = "generic-api-key".to_string();
    assert_eq!(
        secrets_in("config.yaml", "private_key: \"_RSAPrivateKey\"\n"),
        vec![(api_key.clone(), 1)]
    );
    assert_eq!(
        secrets_in("keys.py", "private_key = \"_RSAPrivateKey\"\n"),
        vec![(api_key.clone(), 1)]
    );
    assert_eq!(
        secrets_in("keys.py", "KEYS = {\"private_key\": \"_RSAPrivateKey\"}\n"),
        vec![(api_key, 1)]
    );
    assert_eq!(
        secrets_in(
            "src/client.ts",
            "const cfg = { password: \"Kq7Lz2Xv9RkP4mWn\" };\n"
        ),
        vec![("generic-password".to_string(), 1)]
    );
}
