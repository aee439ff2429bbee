FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends make postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock Makefile ./
RUN make setup
COPY . .
ENV DATA_DIR=/var/lib/watchpost HOST=0.0.0.0 PORT=8000
RUN mkdir -p /var/lib/watchpost
EXPOSE 8000
CMD ["make", "web"]
