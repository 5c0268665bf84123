# One image for every service; the command picks the service (python -m services.<name>).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY services ./services
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin tunebridge
COPY --from=build /install /usr/local
USER 10001
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8080 9090 50051 50052
# Default: the whole installation in one container (embedded NATS); compose and Helm run
# one service per container instead.
CMD ["tunebridge", "up", "--host", "0.0.0.0", "--data-dir", "/data"]
