"""Calls a Pitlane gRPC method with raw request bytes and prints, as JSON, what
Python's standard rich-error decoder (`grpc_status.rpc_status.from_call`) reads from
the error: the code, the message and each standard detail. No Pitlane stubs: the test
that runs it proves any gRPC client reads our errors.

Usage: rich_errors.py ADDRESS METHOD REQUEST_HEX TOKEN
"""

import json
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def main(address: str, method: str, request_hex: str, token: str) -> None:
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(
            method,
            request_serializer=lambda raw: raw,
            response_deserializer=lambda raw: raw,
        )
        try:
            call(bytes.fromhex(request_hex), metadata=[("authorization", f"Bearer {token}")], timeout=10)
        except grpc.RpcError as error:
            status = rpc_status.from_call(error)
            report = {"code": error.code().name, "details": []}
            if status is not None:
                report["message"] = status.message
                for detail in status.details:
                    if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                        info = error_details_pb2.ErrorInfo()
                        detail.Unpack(info)
                        report["details"].append(
                            {"ErrorInfo": {"reason": info.reason, "domain": info.domain, "metadata": dict(info.metadata)}}
                        )
                    elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                        bad = error_details_pb2.BadRequest()
                        detail.Unpack(bad)
                        report["details"].append(
                            {"BadRequest": [{"field": v.field, "description": v.description} for v in bad.field_violations]}
                        )
                    else:
                        report["details"].append({"other": detail.type_url})
            print(json.dumps(report))
            return
    print(json.dumps({"code": "OK"}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
