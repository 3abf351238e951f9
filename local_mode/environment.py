"""Point boto3 at the emulator: the standard settings only, so no handler needs a special case.

Lambda gives a function its region and credentials in environment variables; locally the
same variables name the region, throwaway credentials and ``AWS_ENDPOINT_URL`` (botocore's own
setting for "send every service's calls here"). Everything that could send a call elsewhere
is removed: profiles, session tokens, per-service endpoints and the shared config files.
"""

import contextlib
import os
from collections.abc import Iterator, Mapping

# Credentials moto accepts and AWS would refuse: nothing here can reach a real account.
ACCESS_KEY_ID = "local-mode"
SECRET_ACCESS_KEY = "local-mode"  # noqa: S105 - a placeholder the emulator accepts


def emulator_environment(endpoint: str, region: str) -> dict[str, str]:
    """The variables that send boto3 (every service) to ``endpoint`` in ``region``."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def use_emulator(endpoint: str, region: str) -> None:
    """Set :func:`emulator_environment` in this process, dropping any other AWS setting."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update(emulator_environment(endpoint, region))


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str], remove: tuple[str, ...] = ()) -> Iterator[None]:
    """Set ``values`` and remove ``remove`` in ``os.environ``; put everything back after."""
    saved = {name: os.environ.get(name) for name in (*values, *remove)}
    for name in remove:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
