# SplitNet server on a GPU box: ONNX Runtime's CUDA provider on an NVIDIA CUDA 13 runtime with cuDNN 9.
#   docker build -f deploy/docker/server-gpu.Dockerfile -t splitnet-server-gpu .
#   docker run --gpus all -p 50051:50051 splitnet-server-gpu
# Split models run on ONNX Runtime (their exported parts); teacher bundles stay on TorchSharp's CPU backend.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/SplitNet.Cli -c Release -p:OnnxRuntimeGpu=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

FROM nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04
ARG BAKE_MODELS=true
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && apt-get update && apt-get install -y --no-install-recommends libicu74 && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 1654 --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /app /app
RUN if [ "$BAKE_MODELS" != "true" ]; then rm -rf /app/assets/models; fi
USER 1654
EXPOSE 50051 9464
ENV SplitNet__Server__Address=0.0.0.0 \
    SplitNet__Server__Backend=OnnxRuntime \
    SplitNet__Server__OnnxRuntime__ExecutionProvider=Cuda \
    SplitNet__Server__OnnxRuntime__DeviceId=0
HEALTHCHECK --interval=10s --timeout=4s --start-period=90s CMD ["dotnet", "/app/splitnet.dll", "health", "--server", "http://127.0.0.1:50051"]
ENTRYPOINT ["dotnet", "/app/splitnet.dll", "serve"]
