#!/usr/bin/env python3
"""Checks that AWS credentials work before `pulumi` runs, and says where the stack will build.

Asks STS GetCallerIdentity, which costs nothing and needs no permission, with the credentials the AWS
provider will find (environment, profile, SSO or instance role) in the region the stack will use: its
stack file's aws:region, else AWS_REGION/AWS_DEFAULT_REGION or the profile's region.
Usage: check-aws.py STACK_FILE. Exits 1 with what to do when something is missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

NOTHING_CREATED = "Nothing was created."


class Stop(Exception):
    """A prerequisite is missing; the message says which and what to do."""


def stack_region(stack_file: Path) -> str | None:
    if not stack_file.exists():
        return None
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    return config.get("aws:region")


def region_and_source(stack_file: Path, session: boto3.session.Session) -> tuple[str, str]:
    region = stack_region(stack_file)
    if region:
        return region, f"aws:region in {stack_file.name}"
    # AWS_REGION first, as the AWS provider reads it; boto3 itself reads AWS_DEFAULT_REGION and the profile.
    region = os.environ.get("AWS_REGION") or session.region_name
    if region:
        return region, "your AWS environment or profile"
    raise Stop(f"No AWS region is set. {region_advice(stack_file)} {NOTHING_CREATED}")


def region_advice(stack_file: Path) -> str:
    """The commands that give the stack of STACK_FILE a region, whether or not the stack exists yet."""
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    set_region = f"pulumi config set aws:region ap-south-1 --stack {stack}"
    if stack_file.exists():
        return f"Set the stack's (any region): {set_region}; then make up STACK={stack}."
    return (
        f"Create the stack and set its region (any region): pulumi stack init {stack} --secrets-provider passphrase"
        f" && {set_region}; then make up STACK={stack}."
    )


def caller_identity(session: boto3.session.Session, region: str) -> dict:
    client = session.client(
        "sts", region_name=region, config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    )
    try:
        return client.get_caller_identity()
    except NoCredentialsError:
        raise Stop(
            "No AWS credentials found. Set AWS_PROFILE to a profile of ~/.aws/config (aws configure, or aws configure "
            "sso then aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. " + NOTHING_CREATED
        ) from None
    except (UnauthorizedSSOTokenError, TokenRetrievalError, SSOError) as error:
        raise Stop(
            f"The AWS SSO session has expired or is missing ({error}): run aws sso login. {NOTHING_CREATED}"
        ) from None
    except EndpointConnectionError as error:
        raise Stop(
            f"Could not reach AWS STS ({error}): check the network or proxy (HTTPS_PROXY), and that {region!r} is "
            f"a region. {NOTHING_CREATED}"
        ) from None
    except ClientError as error:
        details = error.response.get("Error", {})
        raise Stop(
            f"AWS refused the credentials: {details.get('Code')}: {details.get('Message')}. Renew them (or "
            f"aws sso login) and run make again. {NOTHING_CREATED}"
        ) from None
    except BotoCoreError as error:
        raise Stop(f"The AWS credentials could not be used: {error}. {NOTHING_CREATED}") from None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check-aws.py STACK_FILE", file=sys.stderr)
        return 2
    try:
        try:
            session = boto3.session.Session()
        except ProfileNotFound as error:
            raise Stop(f"{error}: set AWS_PROFILE to a profile of ~/.aws/config. {NOTHING_CREATED}") from None
        region, source = region_and_source(Path(argv[0]), session)
        identity = caller_identity(session, region)
    except Stop as stop:
        print(stop, file=sys.stderr)
        return 1
    print(f"AWS account {identity['Account']} as {identity['Arn']}; the stack builds in {region} ({source}).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
