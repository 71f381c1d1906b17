# Runs the service on 0.0.0.0:8000 with the built-in backbone; mount /data for models, datasets and jobs.
FROM node:20-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libfaiss-dev libopenblas-dev g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp builds against the image's own Node headers instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
COPY patches ./patches
COPY native ./native
COPY scripts ./scripts
RUN bash scripts/setup.sh
COPY . .
RUN bash scripts/build-if-needed.sh
ENV HOST=0.0.0.0 \
    PORT=8000 \
    BDI_MODELS_DIR=/data/models \
    BDI_GUI_LOG_DIR=/data/logs \
    NODE_ENV=production
VOLUME ["/data"]
EXPOSE 8000
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
