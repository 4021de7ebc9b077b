# isolarcloud2mqtt in a container: docs/docker.md.
# Multi-arch (every dependency is a pure-Python wheel, so no compiler is needed):
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 -t isolarcloud2mqtt .
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies as wheels only (a source build would need a compiler on armv7); the
# project itself is built from this source tree.
COPY pyproject.toml README.md /tmp/src/
COPY bridge /tmp/src/bridge
RUN pip install --no-cache-dir --only-binary=:all: /tmp/src \
 && rm -rf /tmp/src \
 && groupadd --system --gid 10001 isolarcloud2mqtt \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin isolarcloud2mqtt \
 && mkdir -p /data /config \
 && chown 10001:10001 /data \
 && chmod 0700 /data

# The same variables systemd sets: state (tokens, counters, heartbeat) in /data, the
# config at /config/config.toml, secrets as files named secret_key and mqtt_password
# in /run/secrets (compose `secrets:`), or ISOLARCLOUD_SECRET_KEY / ISOLARCLOUD_MQTT_PASSWORD.
ENV STATE_DIRECTORY=/data \
    CONFIGURATION_DIRECTORY=/config \
    CREDENTIALS_DIRECTORY=/run/secrets

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]

# Unhealthy once no poll finished for 2 x poll interval + 60 s (the heartbeat in /data).
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD ["isolarcloud2mqtt", "healthcheck"]

# The daemon handles SIGTERM itself: publishes `offline`, disconnects, exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["isolarcloud2mqtt"]
CMD ["run"]
