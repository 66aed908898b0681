# The load-test harness against one endpoint or a balanced fleet:
#   docker build -f deploy/docker/loadtest.Dockerfile -t splitnet-loadtest .
#   docker run splitnet-loadtest --server http://splitnet:50051 --streams 64 --seconds 60 --json
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/SplitNet.Cli -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app /app
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/splitnet.dll", "loadtest"]
