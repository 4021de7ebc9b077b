"""Readings in canonical units: conversion of raw snapshots, the energy guard, the poller."""
