"""Signs the requests described on stdin (JSON lines) with botocore's SigV4 signers and
prints one JSON line per request: the Authorization header, or the presigned URL.
Used by S3SignerTests to compare Wharf's signer with botocore's on the same requests."""
import datetime
import json
import sys
from unittest import mock

import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

for line in sys.stdin:
    spec = json.loads(line)
    now = datetime.datetime.strptime(spec["date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    creds = Credentials(spec["accessKey"], spec["secretKey"], spec.get("token"))
    request = AWSRequest(method=spec["method"], url=spec["url"], headers=spec.get("headers", {}))
    with mock.patch.object(auth, "get_current_datetime", return_value=now):
        if spec.get("presign"):
            signer = auth.S3SigV4QueryAuth(creds, "s3", spec["region"], expires=spec["expires"])
            signer.add_auth(request)
            print(json.dumps({"url": request.url}))
        else:
            if spec["payloadHash"] == "UNSIGNED-PAYLOAD":
                # botocore decides the payload hash itself; this is how it is told not to hash.
                request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
            signer = auth.S3SigV4Auth(creds, "s3", spec["region"])
            signer.add_auth(request)
            print(json.dumps({"authorization": request.headers["Authorization"]}))
