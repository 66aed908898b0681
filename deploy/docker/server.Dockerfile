# SplitNet server, CPU. Build from the repository root:
#   docker build -f deploy/docker/server.Dockerfile -t splitnet-server .
# Models: the shipped ones are baked in (BAKE_MODELS=true); with BAKE_MODELS=false mount bundles and
# pass --model /models/<bundle> (or a repository with --repository /models).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/SplitNet.Cli -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
ARG BAKE_MODELS=true
WORKDIR /app
COPY --from=build /app /app
RUN if [ "$BAKE_MODELS" != "true" ]; then rm -rf /app/assets/models; fi
# The .NET images' unprivileged user; nothing is written below /app at run time, so the root
# filesystem can be read-only (give /tmp an emptyDir).
USER $APP_UID
EXPOSE 50051 9464
ENV DOTNET_gcServer=0 \
    SplitNet__Server__Address=0.0.0.0
HEALTHCHECK --interval=10s --timeout=4s --start-period=60s CMD ["dotnet", "/app/splitnet.dll", "health", "--server", "http://127.0.0.1:50051"]
ENTRYPOINT ["dotnet", "/app/splitnet.dll", "serve"]
