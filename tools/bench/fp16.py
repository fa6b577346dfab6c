#!/usr/bin/python3
"""Writes an fp16 copy of an fp32 ONNX graph, for the embed benchmark's throughput mode.

Usage: /usr/bin/python3 tools/bench/fp16.py IN.onnx OUT.onnx

Weights, constants and every computation become float16; the graph's inputs and outputs stay
float32 (a Cast after each input and before each output), so the same feeds run both graphs.
Enough for the graphs this project makes (tools/tiny-clip's ViTs, tools/inception-v3's CNN); not a
general converter (onnxconverter-common's float16 is one, but Debian does not package it).
Needs Debian's python3-onnx. Weights beside the graph (IN.onnx_data) are read; the fp16 graph is
written with its weights inside when they fit in protobuf's 2 GB, beside it (OUT.onnx_data) otherwise.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PROTOBUF_LIMIT = 2**31 - 2**26  # 2 GB less room for the graph itself


def half(tensor):
    if tensor.data_type != TensorProto.FLOAT:
        return tensor
    return numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float16), tensor.name)


def convert(model):
    graph = model.graph
    renamed = {}
    nodes = []
    for value in graph.input:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            renamed[value.name] = f"{value.name}/fp16"
            nodes.append(helper.make_node("Cast", [value.name], [renamed[value.name]], name=f"{value.name}/to_fp16", to=TensorProto.FLOAT16))
    outputs = {value.name for value in graph.output if value.type.tensor_type.elem_type == TensorProto.FLOAT}
    for node in graph.node:
        for i, name in enumerate(node.input):
            node.input[i] = renamed.get(name, name)
        for i, name in enumerate(node.output):
            if name in outputs:
                node.output[i] = f"{name}/fp16"
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                attribute.t.CopyFrom(half(attribute.t))
            elif node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT:
                attribute.i = TensorProto.FLOAT16
        nodes.append(node)
    for name in outputs:
        nodes.append(helper.make_node("Cast", [f"{name}/fp16"], [name], name=f"{name}/to_fp32", to=TensorProto.FLOAT))
    initializers = [half(tensor) for tensor in graph.initializer]
    new_graph = helper.make_graph(nodes, graph.name, graph.input, graph.output, initializer=initializers)
    converted = helper.make_model(new_graph, opset_imports=model.opset_import, producer_name=model.producer_name)
    converted.doc_string = model.doc_string + " fp16 weights and computation, fp32 inputs and outputs (tools/bench/fp16.py)."
    return converted


def main():
    source, target = sys.argv[1:3]
    model = convert(onnx.load(source))
    if sum(tensor.ByteSize() for tensor in model.graph.initializer) < PROTOBUF_LIMIT:
        onnx.save(model, target)
    else:
        onnx.save(model, target, save_as_external_data=True, all_tensors_to_one_file=True, location=f"{os.path.basename(target)}_data")
    onnx.checker.check_model(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
