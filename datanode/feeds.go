package datanode

import (
	"net/http"

	"github.com/photondb-io/photondb/datanode/feedws"
)

// FeedHandler serves changefeeds over WebSocket (GET /api/changes).
func (n *Node) FeedHandler() http.Handler { return &feedws.Handler{Store: n.store, Log: n.log} }
