"""Manifests checked against the Kubernetes API's own OpenAPI schemas for a minor, strictly (an unknown
field is an error), with kubernetes-validate."""

from __future__ import annotations

import kubernetes_validate


def assert_valid(documents: list[dict], minor: str) -> None:
    for document in documents:
        try:
            kubernetes_validate.validate(document, minor, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = "/".join(str(part) for part in error.path)
            raise AssertionError(
                f"{document['kind']} {document['metadata']['name']} at {where}: {error.message}"
            ) from None
