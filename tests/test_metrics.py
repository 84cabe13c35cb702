import numpy as np
import pytest

from gridstudy.metrics import accuracy, balanced_accuracy, classification_report, macro_f1, roc_auc


def test_accuracy_counts_matches():
    assert accuracy(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])) == 0.75


def test_balanced_accuracy_by_hand():
    y_true = np.array([0, 0, 0, 1])
    y_pred = np.array([0, 0, 0, 0])
    assert balanced_accuracy(y_true, y_pred, 2) == pytest.approx(0.5)


def test_macro_f1_by_hand():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    # F1 per class: 0 -> 2*1/(2+2)=0.5, 1 -> 2*2/(2+3)=0.8, 2 -> 0.
    assert macro_f1(y_true, y_pred, 3) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_macro_f1_skips_absent_classes():
    y_true = np.array([0, 1])
    assert macro_f1(y_true, y_true, 5) == 1.0


def test_roc_auc_perfect_and_reversed():
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0


def test_roc_auc_ties_count_half():
    y = np.array([0, 1, 0, 1])
    assert roc_auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    # One positive above one negative, one tie: (1 + 0.5 + 1 + 1) / 4
    assert roc_auc(y, np.array([0.1, 0.4, 0.4, 0.9])) == pytest.approx(0.875)


def test_roc_auc_single_class_is_none():
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) is None


def test_report_has_auc_only_for_binary():
    y = np.array([0, 1, 2])
    probabilities = np.eye(3)
    assert classification_report(y, y, probabilities, 3)["roc_auc"] is None
    binary = classification_report(np.array([0, 1]), np.array([0, 1]), np.eye(2), 2)
    assert binary["roc_auc"] == 1.0
