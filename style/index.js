import './base.css';
import './history.css';
import './models.css';
