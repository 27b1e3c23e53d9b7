# The mutuo sync worker (and CLI) with the artifacts it applies.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

WORKDIR /app

# The CPU build of torch first, so sentence-transformers does not pull a CUDA one.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

# mutuo validate/apply and the sync read the artifacts (index_templates/, sync/, scripts/,
# ltr_models/) from the working directory: the whole context (see .dockerignore).
COPY . .

RUN useradd --create-home --uid 1000 mutuo && mkdir /state && chown mutuo /state
USER mutuo

ENTRYPOINT ["mutuo"]
CMD ["sync", "run", "--state", "/state"]
