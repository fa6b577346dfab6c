# The API image: the workspace with production dependencies, run through tsx like the CLI.
FROM node:22.20-bookworm-slim
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY prisma ./prisma
COPY prisma.config.ts nx.json tsconfig.base.json ./
COPY tools ./tools
RUN npm ci --include=dev && npx prisma generate && npm cache clean --force
EXPOSE 4000
CMD ["npx", "defect-rag", "serve"]
