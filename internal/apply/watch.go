package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// watchUntil lists the objects ri holds that match selector and passes the
// list to listed, then follows changes from that list's resourceVersion,
// passing each to handle, until one of them returns true or ctx ends. A closed
// or expired watch is resumed with a fresh list, so no change is missed and
// nothing polls.
func watchUntil(ctx context.Context, ri dynamic.ResourceInterface, selector string,
	listed func([]unstructured.Unstructured) bool, handle func(watch.EventType, *unstructured.Unstructured) bool) error {
	for {
		list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return err
		}
		if listed(list.Items) {
			return nil
		}
		done, err := follow(ctx, ri, selector, list.GetResourceVersion(), handle)
		if done || err != nil {
			return err
		}
	}
}

// follow consumes one watch; it returns (false, nil) when the watch ended and
// the caller should list again.
func follow(ctx context.Context, ri dynamic.ResourceInterface, selector, rv string,
	handle func(watch.EventType, *unstructured.Unstructured) bool) (bool, error) {
	w, err := ri.Watch(ctx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: rv, AllowWatchBookmarks: true})
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return false, nil
		}
		return false, err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return false, ctx.Err()
			}
			switch ev.Type {
			case watch.Error:
				if st := apierrors.FromObject(ev.Object); apierrors.IsResourceExpired(st) || apierrors.IsGone(st) {
					return false, nil
				}
				return false, fmt.Errorf("watching: %w", apierrors.FromObject(ev.Object))
			case watch.Bookmark:
				continue
			}
			u, ok := ev.Object.(*unstructured.Unstructured)
			if ok && handle(ev.Type, u) {
				return true, nil
			}
		}
	}
}
