"""Chinese full-text search: jieba segmentation, the search index, the user dictionary."""
