"""Starts `clearml-glue-dev server` from $GLUE_DEV_BIN on a random port for the real clearml SDK and clearml-agent."""
import os
import sys

import pytest

from clearml_support import start_server, stop_server


@pytest.fixture(scope="session")
def glue_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("glue-server"))
    yield server
    stop_server(server)


@pytest.fixture()
def client_env(glue_server, tmp_path):
    """Environment for the real SDK/agent: our server, our keys, an isolated HOME, no package installs."""
    home = tmp_path / "home"
    home.mkdir()
    config = home / "clearml.conf"
    config.write_text("api { }\nagent { }\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLEARML", "TRAINS"))}
    env.update({
        "HOME": str(home),
        "CLEARML_CONFIG_FILE": str(config),
        "CLEARML_API_HOST": glue_server.url,
        "CLEARML_WEB_HOST": glue_server.url,
        "CLEARML_FILES_HOST": glue_server.url,
        "CLEARML_API_ACCESS_KEY": glue_server.access_key,
        "CLEARML_API_SECRET_KEY": glue_server.secret_key,
        "CLEARML_AGENT_SKIP_PYTHON_ENV_INSTALL": "1",
        "CLEARML_AGENT_SKIP_PIP_VENV_INSTALL": sys.executable,
        "CLEARML_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    return env
