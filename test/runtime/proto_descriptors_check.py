"""Compares kubeinfer's .proto files with the descriptors compiled into tritonclient[grpc].

Usage: python3 proto_descriptors_check.py <proto dir>
Compiles kubeinfer's .proto files with protoc (grpcio-tools). Every message, field (name,
number, label, type, type name), oneof, enum value, service and method of Triton's
grpc_service.proto and model_config.proto must be the same. Prints "ok"; any difference raises.
"""
import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from grpc_tools import protoc
import tritonclient.grpc.model_config_pb2 as model_config_pb2
import tritonclient.grpc.service_pb2 as service_pb2


def enum_shape(enum):
    return {value.name: value.number for value in enum.value}


def message_shape(message):
    return {
        "fields": [(f.name, f.number, f.label, f.type, f.type_name) for f in message.field],
        "oneofs": [o.name for o in message.oneof_decl],
        "nested": {m.name: message_shape(m) for m in message.nested_type},
        "enums": {e.name: enum_shape(e) for e in message.enum_type},
    }


def package_shape(protos):
    """Everything the files declare, by package."""
    shape = {}
    for proto in protos:
        package = shape.setdefault(proto.package, {"messages": {}, "enums": {}, "services": {}})
        package["messages"].update({m.name: message_shape(m) for m in proto.message_type})
        package["enums"].update({e.name: enum_shape(e) for e in proto.enum_type})
        package["services"].update({
            s.name: [(m.name, m.input_type, m.output_type, m.client_streaming, m.server_streaming) for m in s.method]
            for s in proto.service
        })
    return shape


def triton_protos():
    protos = []
    for module in (service_pb2, model_config_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        protos.append(proto)
    return protos


def diff(path, ours, theirs, out):
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in sorted(set(ours) | set(theirs)):
            diff(f"{path}.{key}", ours.get(key), theirs.get(key), out)
    elif ours != theirs:
        out.append(f"{path}: kubeinfer {ours!r} != tritonclient {theirs!r}")


def compile_protos(proto_dir):
    with tempfile.TemporaryDirectory() as out:
        descriptor_set = os.path.join(out, "protos.pb")
        files = ["grpc_service.proto", "model_config.proto", "health.proto"]
        code = protoc.main(["protoc", f"-I{proto_dir}", f"--descriptor_set_out={descriptor_set}", "--include_imports", *files])
        assert code == 0, f"protoc failed on {proto_dir}"
        with open(descriptor_set, "rb") as handle:
            return descriptor_pb2.FileDescriptorSet.FromString(handle.read()).file


def main(proto_dir):
    compiled = compile_protos(proto_dir)
    assert any(proto.package == "grpc.health.v1" and proto.service[0].name == "Health" for proto in compiled)
    ours = package_shape(proto for proto in compiled if proto.package == "inference")
    theirs = package_shape(triton_protos())
    differences = []
    diff("", ours, theirs, differences)
    assert not differences, "\n".join(differences[:40])
    assert len(theirs["inference"]["messages"]) > 60, theirs.keys()
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
