from portal.config import apply_environment, finalise


def test_portal_environment_variables_override_with_the_right_types():
    config = {"SMS_ECHO": True, "LOGIN_MAX_FAILURES": 5}
    apply_environment(config, {
        "PORTAL_DATABASE_URL": "postgresql://u@h/db", "PORTAL_SMS_ECHO": "0",
        "PORTAL_LOGIN_MAX_FAILURES": "7", "PORTAL_TEST_DATABASE_URL": "ignored", "HOME": "/root",
    })
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql://u@h/db"
    assert config["SMS_ECHO"] is False and config["LOGIN_MAX_FAILURES"] == 7
    assert "TEST_DATABASE_URL" not in config


def test_secrets_are_generated_once_into_the_instance_folder(tmp_path):
    first = {"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": None, "DATA_KEY": None}
    finalise(first, str(tmp_path))
    second = {"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": None, "DATA_KEY": None}
    finalise(second, str(tmp_path))
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) == 64
    assert first["DATA_KEY"] == second["DATA_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"


def test_postgres_urls_use_psycopg_3(tmp_path):
    config = {"SQLALCHEMY_DATABASE_URI": "postgres://u@h/db", "SECRET_KEY": "x", "DATA_KEY": "y"}
    finalise(config, str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
