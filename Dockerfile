# One image for every Adieu service and the `adieu` CLI; docker-compose.yml picks the service
# with `command`. Slim and non-root: only the runtime packages, at the exact versions the test
# suite ran with (requirements.lock as pip constraints), no dev tools, no Tansu.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
# Dependencies first, so a code change does not reinstall them.
COPY requirements.lock ./
COPY pyproject.toml ./
RUN python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > runtime.txt \
    && pip install --constraint requirements.lock --requirement runtime.txt
COPY shared ./shared
COPY services ./services
COPY adieu_cli ./adieu_cli
RUN pip install --constraint requirements.lock --no-deps . && rm -rf /build

# A fixed uid, so named volumes are writable by the same user on every rebuild. /data is
# created here and owned by that user: Docker copies this ownership into a fresh named volume.
RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent adieu \
    && mkdir -p /data \
    && chown adieu:adieu /data
USER adieu
WORKDIR /data

EXPOSE 8000 8001 8002 8003 8004
CMD ["python", "-m", "services.survey"]
