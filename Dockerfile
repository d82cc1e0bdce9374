# syntax=docker/dockerfile:1
# Build: docker build -t edom-graphql .
# Run:   docker run -p 8000:8000 -v edom-uploads:/var/lib/edom-graphql/uploads \
#          -e EDOM_DATABASE_URL=postgresql://user:pass@db/edom -e EDOM_PUBSUB_URL=redis://redis:6379/0 \
#          -e EDOM_OIDC_ISSUER=... -e EDOM_OIDC_JWKS_URL=... -e EDOM_VAPID_PRIVATE_KEY=... edom-graphql
# Several behind a proxy: compose.yaml. The image has no embedded PostgreSQL (the
# `embedded` extra): EDOM_DATABASE_URL is required.

FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN python -m build --wheel --outdir /wheels

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EDOM_HOST=0.0.0.0 \
    EDOM_PORT=8000 \
    EDOM_ENVIRONMENT=production \
    EDOM_DATA_DIR=/var/lib/edom-graphql
RUN useradd --system --uid 10001 --home-dir /var/lib/edom-graphql --create-home edom \
 && install -d -o edom -g edom /var/lib/edom-graphql/uploads
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER edom
WORKDIR /var/lib/edom-graphql
# Uploaded photos (EDOM_UPLOADS_DIR defaults to $EDOM_DATA_DIR/uploads): share this volume
# between containers, or set EDOM_STORAGE_URL=s3://bucket/prefix instead.
VOLUME ["/var/lib/edom-graphql/uploads"]
EXPOSE 8000
# /readyz: 200 once the database answers, migrations are current and pub/sub is connected.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"EDOM_PORT\"]}/readyz', timeout=2)"
# Apply migrations, then serve (one process; run several containers behind a load balancer).
CMD ["sh", "-c", "edom-graphql migrate && exec edom-graphql serve"]
