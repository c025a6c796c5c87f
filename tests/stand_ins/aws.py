"""The AWS CLI, as the steps ask the snapshot bucket: `s3api list-objects-v2 --bucket B --prefix P
--query 'Contents[].Key' --output text` prints the matching keys separated by tabs, or "None" when
there is none (the CLI's text output of an empty query); the bucket's keys are in the cluster's state
(s3.json); `s3 cp s3://B/KEY FILE` downloads one. A test may make a call fail once (the `aws` fault
"fail")."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.stand_ins import world


def main(args: list[str]) -> None:
    world.log("aws", args)
    if world.take_fault("aws") == "fail":
        sys.exit("An error occurred (AccessDenied) when calling the ListObjectsV2 operation: Access Denied")
    if args[:2] == ["s3api", "list-objects-v2"]:
        bucket, prefix = args[args.index("--bucket") + 1], args[args.index("--prefix") + 1]
        keys = [k for k in world.read("s3.json", {}).get(bucket, []) if k.startswith(prefix)]
        print("\t".join(keys) if keys else "None")
    elif args[:2] == ["s3", "cp"] and args[2].startswith("s3://"):
        bucket, _, key = args[2][len("s3://") :].partition("/")
        if key not in world.read("s3.json", {}).get(bucket, []):
            sys.exit(f"fatal error: An error occurred (404) when calling the HeadObject operation: {key} not found")
        Path(args[3]).write_text(f"snapshot of s3://{bucket}/{key}\n")
    else:
        sys.exit(f"the aws stand-in does not know: {' '.join(args)}")
