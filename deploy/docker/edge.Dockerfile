# splitnet-edge, the device edge (ONNX Runtime, no libtorch), self-contained for one architecture:
#   docker build -f deploy/docker/edge.Dockerfile --build-arg RID=linux-arm64 -t splitnet-edge:arm64 .
#   docker run splitnet-edge:arm64 --server http://server:50051 --count 100
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG RID=linux-x64
WORKDIR /src
COPY . .
RUN dotnet publish src/SplitNet.EdgeApp -c Release -r "$RID" --self-contained -p:DebugType=none -o /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
WORKDIR /app
COPY --from=build /app /app
USER $APP_UID
ENTRYPOINT ["/app/splitnet-edge"]
