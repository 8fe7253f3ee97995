"""The recommender's services: track texts and embeddings, shipped and learnt vectors, the FAISS index, the
collaborative signal, hybrid scoring with reasons, A/B variants and the offline evaluation.

The tools that expose them live in tools/recommend.py; everything here is framework-free and imported lazily.
"""
