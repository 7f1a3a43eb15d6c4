//! Runtime-agnostic coordination primitives from gevent and Stackless.
