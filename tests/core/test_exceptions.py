from __future__ import annotations

from forge_suite.core.exceptions import ForgeError, MissingDependency


def test_missing_dependency_names_the_extra_and_is_an_import_error() -> None:
    error = MissingDependency("boto3", "s3", feature="the S3 disk")
    assert isinstance(error, ImportError)
    assert isinstance(error, ForgeError)
    assert 'pip install "forge-suite[s3]"' in str(error)
    assert "the S3 disk" in str(error)
