# syntax=docker/dockerfile:1
# Build: docker build -t edom-graphql .
# Run:   docker run -p 8000:8000 -e EDOM_DATABASE_URL=postgresql://user:pass@db/edom \
#          -e EDOM_ENVIRONMENT=production -e EDOM_OIDC_ISSUER=... -e EDOM_OIDC_JWKS_URL=... edom-graphql

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
RUN useradd --system --uid 10001 --home-dir /var/lib/edom-graphql --create-home edom
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER edom
WORKDIR /var/lib/edom-graphql
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"EDOM_PORT\"]}/healthz', timeout=2)"
# Apply migrations, then serve (one process; run several containers behind a load balancer).
CMD ["sh", "-c", "edom-graphql migrate && exec edom-graphql serve"]
