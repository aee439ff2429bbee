FROM python:3.11-slim-bookworm
# The run-time Debian packages, from the one list CI installs too (scripts/system-packages.txt).
COPY scripts/system-packages.txt /tmp/system-packages.txt
RUN apt-get update \
    && grep -Ev '^\s*(#|$)' /tmp/system-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/system-packages.txt
WORKDIR /app
COPY pyproject.toml requirements.lock Makefile ./
RUN make setup
COPY . .
ENV DATA_DIR=/var/lib/watchpost HOST=0.0.0.0 PORT=8000
RUN mkdir -p /var/lib/watchpost
EXPOSE 8000
CMD ["make", "web"]
